//! Adversarial: nesting through host functions on `.thread_pool(1, 1)` / `(2, 2)`.
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

/// 10 levels deep, sync / async / alternating, on a pool of one; then 16 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_and_wide_nesting_on_a_pool_of_one() {
    let engine = pime_tests::start_with("adversarial_host_nest", |b| {
        b.thread_pool(1, 1)
            .stop_timeout(Duration::from_secs(5))
            .host(NestAppHost::new(Impl))
    })
    .await;

    for (command, mode) in [
        ("nested", "sync"),
        ("nested_async", "async"),
        ("nested", "alt"),
    ] {
        let depth = 10;
        let got = call(command, &[("depth", Value::U32(depth)), ("mode", s(mode))]).await;
        assert_eq!(got, Ok(Some(expected(depth))), "{command} {mode}");
    }

    // 16 concurrent 10-deep sync chains on one worker.
    let started = Instant::now();
    let many: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn(async {
                call("nested", &[("depth", Value::U32(10)), ("mode", s("sync"))]).await
            })
        })
        .collect();
    for handle in many {
        assert_eq!(handle.await.unwrap(), Ok(Some(expected(10))));
    }
    eprintln!("16 x 10-deep sync chains: {:?}", started.elapsed());

    // Mixed: 8 alternating + 8 async at once.
    let many: Vec<_> = (0..16)
        .map(|i| {
            tokio::spawn(async move {
                let (c, m) = if i % 2 == 0 {
                    ("nested", "alt")
                } else {
                    ("nested_async", "async")
                };
                call(c, &[("depth", Value::U32(10)), ("mode", s(m))]).await
            })
        })
        .collect();
    for handle in many {
        assert_eq!(handle.await.unwrap(), Ok(Some(expected(10))));
    }

    // An async command whose aio host call needs the pool while its only worker is
    // busy in a sync host call (gate "busy") - the nested task must still run
    // (served by the waiting worker), not wait for the gate.
    let busy = tokio::spawn(async { call("hold", &[("gate", s("busy"))]).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let nested = call("aio_nested_while_busy", &[("depth", Value::U32(3))]).await;
    assert_eq!(nested, Ok(Some(expected(4))));
    open("busy");
    assert_eq!(busy.await.unwrap(), Ok(Some(s("held"))));

    let stats = pime::stats();
    assert_eq!((stats.in_flight, stats.queued), (0, 0), "{stats:?}");
    tokio::time::timeout(Duration::from_secs(20), engine.stop())
        .await
        .expect("stop returns")
        .unwrap();
}
