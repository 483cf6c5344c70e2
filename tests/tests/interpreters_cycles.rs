//! Start / stop / relaunch cycles of `.interpreters(2)`, with calls of every shape in
//! each; resident memory stays bounded; a stop timeout abandons a stuck interpreter
//! worker and the next launch serves while it finishes.

use std::time::{Duration, Instant};

use pime::{ErrorKind, Value};
use pime_tests::{call_ok, raw_interpreter_leak_mib, resident_mib, s, task, within, PYTHON_DIR};

/// What a PIME worker's interpreter imports (its own modules and the broker's), for
/// CPython's own baseline.
const WORKER_IMPORTS: &str = "import asyncio, collections.abc, contextvars, dataclasses, \
    enum, importlib, logging, threading, traceback, types, typing\n";

async fn start(stop_timeout: Option<Duration>) -> pime::Engine {
    let builder = pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .interpreters(2)
        .broker("interp_broker", "broker");
    let builder = match stop_timeout {
        Some(timeout) => builder.stop_timeout(timeout),
        None => builder,
    };
    within(60, "start", builder.start()).await.expect("starts")
}

async fn one_of_each() {
    assert_eq!(
        within(10, "echo", call_ok("echo", &[("value", s("x"))])).await,
        s("x")
    );
    let error = within(10, "fail", pime::call(task("fail", &[("kind", s("key"))])))
        .await
        .expect_err("raises");
    assert_eq!(error.exception.as_deref(), Some("KeyError"));
    let mut stream = within(
        10,
        "stream",
        pime::call_stream(task("count", &[("n", Value::I64(5))])),
    )
    .await
    .unwrap();
    let mut items = Vec::new();
    while let Some(item) = within(10, "item", stream.next()).await {
        items.push(item.unwrap());
    }
    assert_eq!(items.len(), 5);
    let doubled = within(10, "later", call_ok("later", &[("x", Value::I64(4))])).await;
    assert_eq!(doubled, Value::I64(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycles_leave_nothing_behind() {
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    const CYCLES: usize = 12;
    const WORKERS: usize = 2;
    let mut resident = Vec::new();
    for _ in 0..CYCLES {
        let engine = start(None).await;
        for _ in 0..5 {
            one_of_each().await;
        }
        within(30, "stop", engine.stop()).await.unwrap();
        resident.push(resident_mib());
    }
    // Per interpreter created and ended, from the third cycle on (the first ones warm
    // up allocators and caches).
    let pime = (resident[CYCLES - 1] - resident[1]) / ((CYCLES - 2) * WORKERS) as f64;
    let raw = raw_interpreter_leak_mib(WORKER_IMPORTS, (CYCLES - 2) * WORKERS);
    println!("resident after each cycle (MiB): {resident:.1?}");
    println!("kept per ended interpreter: PIME {pime:.2} MiB, CPython alone {raw:.2} MiB");
    // CPython keeps some memory of every ended interpreter (see the README); PIME must
    // add nothing of its own to that.
    assert!(
        pime <= raw * 1.5 + 1.0,
        "PIME keeps {pime:.2} MiB per ended interpreter, CPython alone {raw:.2} MiB"
    );
    let stats = pime::stats();
    assert_eq!(
        stats.submitted,
        stats.completed + stats.failed + stats.cancelled + stats.queued + stats.in_flight,
        "{stats:?}"
    );
    assert_eq!((stats.queued, stats.in_flight), (0, 0), "{stats:?}");

    // A worker stuck past the stop deadline is abandoned; the next launch serves.
    let engine = start(Some(Duration::from_millis(200))).await;
    let stuck = tokio::spawn(pime::call(task("busy", &[("seconds", Value::F64(1.5))])));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let begun = Instant::now();
    within(10, "stop with a timeout", engine.stop())
        .await
        .unwrap();
    assert!(
        begun.elapsed() < Duration::from_secs(1),
        "{:?}",
        begun.elapsed()
    );
    let error = within(10, "stuck", stuck)
        .await
        .unwrap()
        .expect_err("stopped");
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError, "{error}");
    let engine = start(None).await;
    one_of_each().await;
    // The abandoned interpreter ends once its loop does; stop waits for nothing of it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    within(30, "stop", engine.stop()).await.unwrap();
}
