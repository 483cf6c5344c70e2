//! A caller that drops its future: a task not yet started is cancelled, a running one
//! finishes and its result is dropped.

use std::time::Duration;

use pime::Value;
use pime_tests::{call_ok, s, spawn_sent, start, task, wait_running};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_callers_cancel_or_finish() {
    let engine = start("testmod", 1, 1).await;

    // The only worker is busy for 0.5 s.
    let busy = spawn_sent(task(
        "sleep_then_record",
        &[("seconds", Value::F64(0.5)), ("tag", s("busy"))],
    ))
    .await;
    wait_running(1).await;
    // Queued behind it, given up after 50 ms: must never run.
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        pime::call(task("record", &[("tag", s("cancelled"))])),
    )
    .await;
    assert!(gave_up.is_err(), "the call should have timed out");
    assert!(busy.await.unwrap().is_ok());

    // Running when dropped: finishes anyway, its result is dropped.
    let running = spawn_sent(task(
        "sleep_then_record",
        &[("seconds", Value::F64(0.3)), ("tag", s("finished"))],
    ))
    .await;
    wait_running(1).await;
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());
    call_ok(
        "wait_records",
        &[("count", Value::I64(2)), ("timeout", Value::F64(10.0))],
    )
    .await;
    assert_eq!(
        call_ok("records", &[]).await,
        Value::Seq(vec![s("busy"), s("finished")]),
    );
    engine.stop().await.unwrap();
}
