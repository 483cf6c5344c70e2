//! Regression: a `CancelledError` that a command raises is the caller's exception,
//! not a cancellation.
//!
//! The engine took any `CancelledError` coming out of a coroutine's future for its own
//! cancellation (of a caller that went away), so the caller got no exception class,
//! message or traceback (or the task was counted as cancelled). Now only a cancellation
//! PIME made is one; otherwise:
//!
//! * an async command whose own code raises `asyncio.CancelledError("mine")` gives
//!   `ErrorKind::PyException`, exception `CancelledError`, message `mine`, and a
//!   traceback naming the raising function;
//! * so does an async command awaiting an inner task that something else cancelled;
//! * so does a sync command raising `CancelledError`;
//! * and a caller that drops its future while an async command runs still cancels the
//!   coroutine: its `except CancelledError` and `finally` run (read back with a later
//!   call).

use pime::{ErrorKind, Value};
use pime_tests::{assert_still_serving, s, spawn_sent, start_with, task, within};

fn assert_cancelled_error(what: &str, outcome: pime::Result<Option<Value>>, raised_in: &str) {
    let error = outcome.expect_err(what);
    assert_eq!(error.kind, ErrorKind::PyException, "{what}: {error}");
    assert_eq!(
        error.exception.as_deref(),
        Some("CancelledError"),
        "{what}: {error}"
    );
    let traceback = error.traceback.as_deref().unwrap_or_default();
    assert!(
        traceback.contains(raised_in),
        "{what}: the traceback does not name {raised_in}: {traceback:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_errors_raised_by_commands_reach_the_caller() {
    let engine = within(
        30,
        "start",
        start_with("defect_async", |builder| builder.thread_pool(1, 2)),
    )
    .await;

    let own = within(10, "own_cancel", pime::call(task("own_cancel", &[]))).await;
    if let Err(error) = &own {
        assert_eq!(error.message, "mine", "{error}");
    }
    assert_cancelled_error("own_cancel", own, "_raise_mine");

    let inner = within(
        10,
        "inner_cancelled",
        pime::call(task("inner_cancelled", &[])),
    )
    .await;
    assert_cancelled_error("inner_cancelled", inner, "inner_cancelled");

    let sync = within(10, "sync_cancel", pime::call(task("sync_cancel", &[]))).await;
    if let Err(error) = &sync {
        assert_eq!(error.message, "sync", "{error}");
    }
    assert_cancelled_error("sync_cancel", sync, "sync_cancel");
    assert_still_serving().await;

    // A dropped caller still cancels its running coroutine.
    let caller = spawn_sent(task("guarded", &[("tag", s("dropped"))])).await;
    let wait = |event: &str| {
        task(
            "wait_event",
            &[
                ("event", s(event)),
                ("tag", s("dropped")),
                ("timeout", Value::F64(10.0)),
            ],
        )
    };
    assert_eq!(
        within(15, "the coroutine starts", pime::call(wait("started"))).await,
        Ok(Some(Value::Seq(vec![s("started")])))
    );
    caller.abort();
    assert!(
        within(5, "the aborted caller", caller)
            .await
            .unwrap_err()
            .is_cancelled(),
        "the caller finished before it was dropped"
    );
    assert_eq!(
        within(
            15,
            "the coroutine is cancelled",
            pime::call(wait("finally"))
        )
        .await,
        Ok(Some(Value::Seq(vec![
            s("started"),
            s("cancelled"),
            s("finally")
        ]))),
        "the coroutine saw CancelledError and ran its finally"
    );
    assert_still_serving().await;
    within(30, "stop", engine.stop()).await.unwrap();
}
