//! What a plugin host needs beyond plain calls: a host module the plugin calls back
//! (sync and async), async commands, streamed results, per-task context, hot reload
//! of the plugin's code, and stats. The plugin is written to a temporary folder so
//! the program can change it and reload it while running.
//!
//! Run with `cargo run -p plugins`.

mod logger;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pime::{PyTask, Value};
use serde::Serialize;

/// A user of the host's database.
#[derive(Serialize, Clone)]
pub struct User {
    name: String,
    karma: i64,
}

/// What the plugin may ask of this program (`import host` in Python).
#[pime::host_module(module = "host")]
pub trait Host {
    /// The user with this id, from the host's database.
    async fn user(&self, id: u64) -> pime::Result<User>;
    /// A configuration value, if set.
    fn config(&self, key: String) -> pime::Result<Option<String>>;
}

/// The host's state: stands for a real database and configuration.
struct App {
    users: BTreeMap<u64, User>,
    config: BTreeMap<String, String>,
}

impl Host for App {
    async fn user(&self, id: u64) -> pime::Result<User> {
        tokio::time::sleep(Duration::from_millis(5)).await; // stands for a real query
        self.users
            .get(&id)
            .cloned()
            .ok_or_else(|| pime::Error::new(pime::ErrorKind::ExecError, format!("no user {id}")))
    }
    fn config(&self, key: String) -> pime::Result<Option<String>> {
        Ok(self.config.get(&key).cloned())
    }
}

const PLUGIN_V1: &str = r#"
import asyncio
import logging
import host
import pime

broker = pime.Broker()
log = logging.getLogger("plugin")
log.setLevel(logging.INFO)

@broker.command
def greet(user_id: int) -> str:
    user = host.user(id=user_id)                  # blocks this worker, GIL released
    greeting = host.config(key="greeting") or "Hello"
    log.info("greeted %s", user["name"])
    return f"{greeting}, {user['name']}!"

@broker.command
async def score(user_id: int) -> int:
    user = await host.aio.user(id=user_id)        # the event loop keeps running
    return user["karma"] * 10

@broker.command
def missing_user() -> str:
    try:
        host.user(id=404)
    except pime.HostError as error:
        return f"HostError ({error.kind}): {error}"

@broker.command
async def fetch(url: str) -> str:
    await asyncio.sleep(0.2)          # stands for real async I/O
    return f"fetched {url} for request {pime.context().get('request_id')}"

@broker.command
def rows(n: int):
    for i in range(n):
        yield {"row": i, "square": i * i}

@broker.command
def version() -> str:
    return "v1"
"#;

fn task(command: &str, params: &[(&str, Value)]) -> PyTask {
    let params = params
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    PyTask::new(Value::String(command.into()), params)
}

#[tokio::main]
async fn main() -> pime::Result<()> {
    let dir = std::env::temp_dir().join(format!("pime-plugins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let plugin = dir.join("plugin.py");
    std::fs::write(&plugin, PLUGIN_V1).expect("the plugin file");

    std::fs::write(dir.join("host.pyi"), HostHost::<App>::PYTHON_STUB).expect("the stub");

    logger::init();
    let app = App {
        users: BTreeMap::from([
            (
                1,
                User {
                    name: "Ada".into(),
                    karma: 7,
                },
            ),
            (
                2,
                User {
                    name: "Grace".into(),
                    karma: 9,
                },
            ),
        ]),
        config: BTreeMap::from([("greeting".into(), "Welcome".into())]),
    };
    let engine = pime::Engine::builder()
        .import_path(&dir)
        .thread_pool(2, 4)
        .command_stats()
        .host(HostHost::new(app))
        .broker("plugin", "broker")
        .start()
        .await?;

    // The plugin reads host data, sync and async.
    for id in [1, 2] {
        let greeting = pime::call(task("greet", &[("user_id", Value::U64(id))])).await?;
        let score = pime::call(task("score", &[("user_id", Value::U64(id))])).await?;
        println!("{greeting:?}, score {score:?}");
    }
    println!("{:?}", pime::call(task("missing_user", &[])).await?);

    // 200 async calls, each with its own request id, on a pool of 4 threads.
    let started = Instant::now();
    let fetches: Vec<_> = (0..200)
        .map(|i| {
            let mut fetch = task("fetch", &[("url", Value::String(format!("/item/{i}")))]);
            fetch.set_context("request_id", Value::I64(i));
            tokio::spawn(pime::call(fetch))
        })
        .collect();
    let mut last = None;
    for fetch in fetches {
        last = fetch.await.expect("the task panicked")?;
    }
    println!(
        "200 x async fetch took {:.2?}; last: {last:?}",
        started.elapsed()
    );

    // A generator, streamed item by item.
    let mut rows = pime::call_stream(task("rows", &[("n", Value::I64(3))])).await?;
    while let Some(row) = rows.next().await {
        println!("row: {:?}", row?);
    }

    // Change the plugin on disk and reload it: new calls run the new code.
    println!("version: {:?}", pime::call(task("version", &[])).await?);
    std::fs::write(&plugin, PLUGIN_V1.replace("\"v1\"", "\"v2, reloaded\"")).expect("write");
    pime::reload().await?;
    println!("version: {:?}", pime::call(task("version", &[])).await?);

    print!("{}", pime::stats_prometheus());
    engine.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
