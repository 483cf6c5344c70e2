//! Stats of a task whose caller was answered with an error at the stop deadline: once
//! its broker returns, it must count as failed (its caller got an error), not as
//! completed. Pooled and exclusive.

use std::time::Duration;

use pime::{ErrorKind, Value};
use pime_tests::{s, spawn_sent, start_with, task, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_failures_count_as_failed() {
    let engine = within(
        30,
        "start",
        start_with("adversarial_broker", |b| {
            b.thread_pool(1, 2).stop_timeout(Duration::from_millis(200))
        }),
    )
    .await;
    let mut ex = task("sleep", &[("tag", s("ex")), ("seconds", Value::F64(1.0))]);
    ex.mark_exclusive();
    let ex_caller = spawn_sent(ex).await;
    let po_caller = spawn_sent(task(
        "sleep",
        &[("tag", s("po")), ("seconds", Value::F64(1.0))],
    ))
    .await;
    within(
        10,
        "started",
        pime::call(task("wait_started", &[("tag", s("ex"))])),
    )
    .await
    .unwrap();
    within(
        10,
        "started",
        pime::call(task("wait_started", &[("tag", s("po"))])),
    )
    .await
    .unwrap();
    let before = pime::stats();
    within(10, "stop", engine.stop()).await.unwrap();
    for caller in [ex_caller, po_caller] {
        let e = within(10, "caller", caller).await.unwrap().unwrap_err();
        assert_eq!(e.kind, ErrorKind::PySyncEngineStateError, "{e}");
    }
    let at_stop = pime::stats();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = pime::stats();
    eprintln!("before stop {before:?}\nat stop {at_stop:?}\nafter the brokers returned {after:?}");
    assert_eq!(after.in_flight, 0, "{after:?}");
    assert_eq!(
        after.failed,
        before.failed + 2,
        "two callers got an error: {after:?}"
    );
    assert_eq!(after.completed, before.completed, "{after:?}");
}
