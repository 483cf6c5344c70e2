//! What a plugin host needs beyond plain calls: async commands, streamed results,
//! per-task context, hot reload of the plugin's code, and stats. The plugin is written
//! to a temporary folder so the program can change it and reload it while running.
//!
//! Run with `cargo run -p plugins`.

use std::time::Instant;

use pime::{PyTask, Value};

const PLUGIN_V1: &str = r#"
import asyncio
import pime

broker = pime.Broker()

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

    let engine = pime::Engine::builder()
        .import_path(&dir)
        .thread_pool(2, 4)
        .command_stats()
        .broker("plugin", "broker")
        .start()
        .await?;

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
