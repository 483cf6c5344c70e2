//! `stop_timeout`: `stop()` with brokers stuck in `time.sleep(10**6)` returns after the
//! configured deadline; the callers of the stuck tasks and of the tasks that never
//! started get a `PySyncEngineStateError`; `launch` returns; a new engine starts and
//! serves afterwards (while the stuck Python threads still sleep).

use std::time::{Duration, Instant};

use pime::{ErrorKind, Value};
use pime_tests::{assert_still_serving, s, spawn_sent, start_with, task, within};

const STOP_TIMEOUT: Duration = Duration::from_millis(500);
/// How long after the deadline `stop` may take to return: failing the callers and
/// shutting the pool down without waiting is quick work.
const STOP_SLACK: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_returns_after_its_timeout_with_stuck_brokers() {
    let engine = within(
        30,
        "start",
        start_with("stuck_broker", |builder| {
            builder.thread_pool(2, 2).stop_timeout(STOP_TIMEOUT)
        }),
    )
    .await;

    // Two tasks stuck on both workers, three more waiting in the executor behind them,
    // and a stuck no_wait task.
    let mut running = Vec::new();
    for _ in 0..2 {
        running.push(spawn_sent(task("stuck", &[])).await);
    }
    let mut waiting_in_executor = Vec::new();
    for _ in 0..3 {
        waiting_in_executor.push(spawn_sent(task("stuck", &[])).await);
    }
    let mut fire_and_forget = task("stuck", &[]);
    fire_and_forget.no_wait();
    assert_eq!(pime::call(fire_and_forget).await, Ok(None));
    let mut wait_running = task(
        "wait_running",
        &[("count", Value::I64(2)), ("timeout", Value::F64(10.0))],
    );
    // Exclusive, so it runs on the engine thread after all of the above were handed to
    // the executor.
    wait_running.mark_exclusive();
    assert_eq!(
        within(15, "two stuck tasks run", pime::call(wait_running)).await,
        Ok(Some(Value::I64(2)))
    );

    let stopping = Instant::now();
    within(30, "stop with stuck brokers", engine.stop())
        .await
        .expect("launch returns Ok after the stop timeout");
    let took = stopping.elapsed();
    eprintln!("stop_timeout: stop returned after {took:?} (timeout {STOP_TIMEOUT:?})");
    assert!(
        took >= STOP_TIMEOUT,
        "stop returned after {took:?}, before its timeout of {STOP_TIMEOUT:?}"
    );
    assert!(
        took < STOP_TIMEOUT + STOP_SLACK,
        "stop took {took:?} with a timeout of {STOP_TIMEOUT:?}"
    );
    assert!(!pime::is_engine_started());

    for (what, callers) in [("running", running), ("not started", waiting_in_executor)] {
        for caller in callers {
            let error = within(5, what, caller)
                .await
                .unwrap()
                .expect_err("a stuck task has no result");
            assert_eq!(
                error.kind,
                ErrorKind::PySyncEngineStateError,
                "{what}: {error}"
            );
            assert!(error.message.contains("stop"), "{what}: {error}");
        }
    }
    let late = within(
        5,
        "a call after stop",
        pime::call(task("echo", &[("value", s("x"))])),
    )
    .await
    .unwrap_err();
    assert_eq!(late.kind, ErrorKind::PySyncEngineStateError);

    // A new engine starts and serves, and stops promptly when nothing is stuck.
    let engine = within(
        30,
        "restart",
        start_with("stuck_broker", |builder| {
            builder.thread_pool(1, 2).stop_timeout(STOP_TIMEOUT)
        }),
    )
    .await;
    assert_still_serving().await;
    let stopping = Instant::now();
    within(30, "stop with nothing stuck", engine.stop())
        .await
        .unwrap();
    assert!(
        stopping.elapsed() < STOP_TIMEOUT,
        "an idle engine took {:?} to stop",
        stopping.elapsed()
    );
}
