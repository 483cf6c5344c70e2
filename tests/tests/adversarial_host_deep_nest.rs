//! Adversarial: how deep "at any depth" goes - sync host calls nested 50..3200 levels on `.thread_pool(1, 1)` (each level runs on the same worker stack), then async ones.
//! (Depth 1,100 hangs: more tasks than the default bound, queue capacity 1024 + 1 worker,
//! see `adversarial_host_capacity.rs`.)
//!
//! README, "Host modules": "A pool worker waiting in a sync host call serves the pool
//! meanwhile, so nested calls complete on `.thread_pool(1, 1)`, at any depth."

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pime::{host_module, ErrorKind, Value};
use pime_tests::{s, task};

#[host_module(module = "nest_app")]
pub trait NestApp {
    /// Calls `nested` (mode "sync") or `nested_async` (otherwise) with `depth`.
    async fn nest(&self, depth: u32, mode: String) -> pime::Result<String>;
    /// Waits until `gate` is open.
    async fn wait(&self, gate: String) -> pime::Result<()>;
    /// Opens `gate`.
    fn open(&self, gate: String) -> pime::Result<()>;
}

struct Impl;

static GATES: Mutex<Option<HashSet<String>>> = Mutex::new(None);
static NOTIFY: tokio::sync::Notify = tokio::sync::Notify::const_new();

impl NestApp for Impl {
    async fn nest(&self, depth: u32, mode: String) -> pime::Result<String> {
        let command = if mode == "sync" || mode == "alt" {
            "nested"
        } else {
            "nested_async"
        };
        let inner = pime::call(task(
            command,
            &[("depth", Value::U32(depth)), ("mode", s(&mode))],
        ))
        .await?;
        match inner {
            Some(Value::String(text)) => Ok(format!("{depth}/{text}")),
            other => Err(pime::Error::new(
                ErrorKind::UnpackError,
                format!("{other:?}"),
            )),
        }
    }
    async fn wait(&self, gate: String) -> pime::Result<()> {
        loop {
            let notified = NOTIFY.notified();
            if GATES
                .lock()
                .unwrap()
                .get_or_insert_with(HashSet::new)
                .contains(&gate)
            {
                return Ok(());
            }
            notified.await;
        }
    }
    fn open(&self, gate: String) -> pime::Result<()> {
        GATES
            .lock()
            .unwrap()
            .get_or_insert_with(HashSet::new)
            .insert(gate);
        NOTIFY.notify_waiters();
        Ok(())
    }
}

#[allow(dead_code)]
fn open(gate: &str) {
    Impl.open(gate.into()).unwrap();
}

fn expected(depth: u32) -> Value {
    let mut text = String::from("bottom");
    for level in 0..depth {
        text = format!("{level}/{text}");
    }
    s(&text)
}

async fn call(command: &str, params: &[(&str, Value)]) -> pime::Result<Option<Value>> {
    tokio::time::timeout(Duration::from_secs(20), pime::call(task(command, params)))
        .await
        .unwrap_or_else(|_| panic!("{command} {params:?}: no answer within 20 s (hang)"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn very_deep_nesting_on_a_pool_of_one() {
    let engine = pime_tests::start_with("adversarial_host_nest", |b| {
        b.thread_pool(1, 1)
            .stop_timeout(Duration::from_secs(5))
            .host(NestAppHost::new(Impl))
    })
    .await;
    let mut problems = Vec::new();
    let only = std::env::var("ADV_MODE").ok();
    for (command, mode) in [("nested", "sync"), ("nested_async", "async")] {
        if only.as_deref().is_some_and(|m| m != mode) {
            continue;
        }
        let depths: Vec<u32> = std::env::var("ADV_DEPTHS")
            .map(|v| v.split(',').map(|d| d.parse().unwrap()).collect())
            .unwrap_or_else(|_| vec![50, 100, 200, 400, 800, 1600, 3200]);
        for depth in depths.iter().copied() {
            eprintln!("{command} depth {depth} ...");
            let started = Instant::now();
            let got = call(command, &[("depth", Value::U32(depth)), ("mode", s(mode))]).await;
            eprintln!(
                "  -> {:?} in {:?}",
                got.as_ref().map(|v| v.as_ref().map(|_| "a string")),
                started.elapsed()
            );
            if got != Ok(Some(expected(depth))) {
                let shown = match &got {
                    Err(e) => format!(
                        "{:?}: {}",
                        e.kind,
                        e.message.chars().take(300).collect::<String>()
                    ),
                    Ok(v) => format!("{:?}", v).chars().take(300).collect(),
                };
                problems.push(format!("{command} depth {depth}: {shown}"));
                break;
            }
        }
    }
    let alive = call("quick", &[]).await;
    assert_eq!(alive, Ok(Some(s("quick"))));
    tokio::time::timeout(Duration::from_secs(20), engine.stop())
        .await
        .expect("stop returns")
        .unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
