//! Adversarial: hostile coroutines on a subinterpreter worker's own event loop — one
//! that stops the loop, closes it, raises SystemExit / KeyboardInterrupt /
//! CancelledError, leaves background tasks, times out; a sync command that closes
//! the thread's loop. Each is an error for its call at most: the next async call on
//! the same (single) worker still works, and stop returns.

use std::time::Duration;

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{s, task, within, PYTHON_DIR};

async fn ok_still_works(after: &str, defects: &mut Vec<String>) {
    for i in 0..3 {
        let r = within(10, after, pime::call(task("ok", &[("x", Value::I64(i))]))).await;
        if r != Ok(Some(Value::I64(i))) {
            defects.push(format!("after {after}: async `ok` gave {r:?}"));
            return;
        }
    }
}

async fn call0(cmd: &str) -> pime::Result<Option<Value>> {
    within(10, cmd, pime::call(PyTask::new0(s(cmd)))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_coroutines() {
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    let engine = within(60, "start", async {
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(1)
            .broker("adversarial_interp_async", "broker")
            .start()
            .await
    })
    .await
    .expect("starts");
    let mut defects = Vec::new();
    ok_still_works("start", &mut defects).await;

    for (cmd, class) in [
        ("exit_in_coroutine", "SystemExit"),
        ("keyboard_in_coroutine", "KeyboardInterrupt"),
        ("own_cancel", "CancelledError"),
    ] {
        let r = call0(cmd).await;
        match &r {
            Err(e) if e.kind == ErrorKind::PyException && e.exception.as_deref() == Some(class) => {
            }
            other => defects.push(format!(
                "{cmd}: expected PyException {class}, got {other:?}"
            )),
        }
        ok_still_works(cmd, &mut defects).await;
    }

    let r = call0("stop_loop").await;
    println!("stop_loop: {r:?}");
    ok_still_works("stop_loop", &mut defects).await;

    let r = call0("close_loop").await;
    println!("close_loop: {r:?}");
    assert!(r.is_err(), "a running loop cannot be closed: {r:?}");
    ok_still_works("close_loop", &mut defects).await;

    let r = call0("leave_background").await;
    assert_eq!(r, Ok(Some(Value::I64(1))));
    ok_still_works("leave_background", &mut defects).await;

    // A timeout: the coroutine runs to its end, the caller gets Timeout.
    let mut t = task("slow", &[("seconds", Value::F64(0.3))]);
    t.set_timeout(Duration::from_millis(50));
    let e = within(10, "timeout", pime::call(t))
        .await
        .expect_err("times out");
    assert_eq!(e.kind, ErrorKind::Timeout);
    ok_still_works("timeout", &mut defects).await;

    let r = call0("sync_asyncio_run").await;
    if r != Ok(Some(s("ran"))) {
        defects.push(format!("asyncio.run in a sync command: {r:?}"));
    }
    ok_still_works("sync_asyncio_run", &mut defects).await;

    // Async generators raising SystemExit / CancelledError mid-stream.
    for (cmd, class) in [
        ("agen_exit", "SystemExit"),
        ("agen_cancel", "CancelledError"),
    ] {
        let mut stream = within(10, cmd, pime::call_stream(PyTask::new0(s(cmd))))
            .await
            .unwrap();
        assert_eq!(
            within(10, "first", stream.next()).await,
            Some(Ok(Value::I64(1)))
        );
        match within(10, "second", stream.next()).await {
            Some(Err(e)) if e.exception.as_deref() == Some(class) => {}
            other => defects.push(format!("{cmd}: expected Err {class}, got {other:?}")),
        }
        assert_eq!(within(10, "end", stream.next()).await, None);
        ok_still_works(cmd, &mut defects).await;
    }

    // Last: a sync command closes the thread's current event loop, if it sees one.
    let r = call0("sync_close_current_loop").await;
    println!("sync_close_current_loop: {r:?}");
    ok_still_works("sync_close_current_loop", &mut defects).await;

    let stats = pime::stats();
    assert_eq!(
        stats.submitted,
        stats.completed + stats.failed + stats.cancelled + stats.in_flight + stats.queued
    );
    within(30, "stop", engine.stop()).await.unwrap();
    assert!(defects.is_empty(), "{defects:#?}");
}
