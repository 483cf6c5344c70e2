//! Regression: `pime::call_stream` of an exclusive task is refused at once.
//!
//! An exclusive task runs inline on the engine thread; a generator pumped there held
//! the engine thread (and so every exclusive task, reload and stop) for as long as the
//! caller kept the stream, and a stream nobody read made `stop()` hang. Now the call
//! fails before anything reaches the broker, with an `ExecError` that says why
//! (exclusive), the generator never starts, a pooled stream still works, and `stop()`
//! returns promptly.

use pime::{ErrorKind, Value};
use pime_tests::{s, start_with, task, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exclusive_stream_is_refused_and_stop_returns() {
    let engine = within(
        30,
        "start",
        start_with("defect_broker", |builder| builder.thread_pool(1, 2)),
    )
    .await;

    let mut exclusive = task("forever", &[("tag", s("exclusive"))]);
    exclusive.mark_exclusive();
    let error = within(5, "an exclusive call_stream", pime::call_stream(exclusive))
        .await
        .expect_err("an exclusive task cannot stream");
    assert_eq!(error.kind, ErrorKind::ExecError, "{error}");
    assert!(error.message.contains("exclusive"), "{error}");

    // Nothing reached the broker: no generator started.
    let started = within(
        10,
        "generators_started",
        pime::call(task("generators_started", &[])),
    )
    .await;
    assert_eq!(started, Ok(Some(Value::I64(0))));

    // A pooled stream of the same generator works, and dropping it closes it.
    let mut pooled = within(
        10,
        "a pooled call_stream",
        pime::call_stream(task("forever", &[("tag", s("pooled"))])),
    )
    .await
    .expect("a pooled stream starts");
    for i in 0..3 {
        assert_eq!(
            within(10, "a pooled item", pooled.next()).await,
            Some(Ok(Value::I64(i)))
        );
    }
    drop(pooled);

    within(10, "stop", engine.stop()).await.unwrap();
    assert!(!pime::is_engine_started());
}
