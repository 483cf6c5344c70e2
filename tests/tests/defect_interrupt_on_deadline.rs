//! `.interrupt_on_deadline(true)`: a sync broker stuck in a pure-Python busy loop
//! (`while True: pass`, no sleep, no C call) is interrupted when its deadline passes,
//! so its worker is free again.
//!
//! * A call with `PyTask::set_timeout(200ms)` returns `ErrorKind::Timeout` after about
//!   200 ms, and with a pool of one worker the next call succeeds within a few seconds:
//!   the loop was interrupted (its `finally` ran). The time from the timeout to the
//!   next call's result is printed.
//! * With `.stop_timeout(300ms)` too, `stop()` during a busy loop returns after about
//!   300 ms (plus slack), the busy call's caller gets the stop error, the loop's
//!   `finally` runs (read through the GIL after stop, within a bounded wait), the
//!   worker thread ends, and a new engine starts and serves.
//!
//! Without the option a busy loop runs on forever (not tested: it would hold its
//! worker, and the GIL now and then, for the rest of the process).

use std::time::{Duration, Instant};

use pime::{ErrorKind, Value};
use pime_tests::{assert_still_serving, s, spawn_sent, start_with, task, with_python, within};
use pyo3::prelude::*;

const CALL_TIMEOUT: Duration = Duration::from_millis(200);
const STOP_TIMEOUT: Duration = Duration::from_millis(300);
const SLACK: Duration = Duration::from_secs(3);

/// The OS threads of this process named `pime-worker-*`.
fn worker_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("pime-worker"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_loops_are_interrupted_at_their_deadline() {
    let engine = within(
        30,
        "start",
        start_with("defect_broker", |builder| {
            builder.thread_pool(1, 1).interrupt_on_deadline(true)
        }),
    )
    .await;
    assert_still_serving().await;

    // A call's timeout.
    let mut busy = task("busy", &[("tag", s("timeout"))]);
    busy.set_timeout(CALL_TIMEOUT);
    let calling = Instant::now();
    let error = within(10, "a busy call with a timeout", pime::call(busy))
        .await
        .expect_err("a busy loop never returns");
    let timed_out_after = calling.elapsed();
    assert_eq!(error.kind, ErrorKind::Timeout, "{error}");
    assert!(
        timed_out_after >= CALL_TIMEOUT && timed_out_after < CALL_TIMEOUT + SLACK,
        "timed out after {timed_out_after:?}"
    );
    let timed_out = Instant::now();
    let next = within(
        10,
        "the next call on the only worker",
        pime::call(task("echo", &[("value", s("free"))])),
    )
    .await;
    let freed_after = timed_out.elapsed();
    eprintln!(
        "interrupt_on_deadline: the timeout came after {timed_out_after:?}; the next call \
         on the only worker succeeded {freed_after:?} after the timeout"
    );
    assert_eq!(next, Ok(Some(s("free"))));
    assert_eq!(
        within(
            10,
            "busy_done",
            pime::call(task("busy_done", &[("tag", s("timeout"))]))
        )
        .await,
        Ok(Some(Value::Bool(true))),
        "the busy loop's finally ran"
    );
    assert!(
        freed_after < SLACK,
        "the worker was freed after {freed_after:?}"
    );
    within(30, "stop", engine.stop()).await.unwrap();

    // The stop deadline.
    let engine = within(
        30,
        "restart",
        start_with("defect_broker", |builder| {
            builder
                .thread_pool(1, 1)
                .stop_timeout(STOP_TIMEOUT)
                .interrupt_on_deadline(true)
        }),
    )
    .await;
    let caller = spawn_sent(task("busy", &[("tag", s("stop"))])).await;
    let mut started = task(
        "wait_busy",
        &[("tag", s("stop")), ("timeout", Value::F64(20.0))],
    );
    started.mark_exclusive();
    assert_eq!(
        within(30, "the busy loop starts", pime::call(started)).await,
        Ok(Some(s("stop")))
    );
    let stopping = Instant::now();
    within(30, "stop during a busy loop", engine.stop())
        .await
        .expect("stop returns Ok after its timeout");
    let took = stopping.elapsed();
    eprintln!(
        "interrupt_on_deadline: stop during a busy loop took {took:?} (timeout {STOP_TIMEOUT:?})"
    );
    assert!(
        took >= STOP_TIMEOUT && took < STOP_TIMEOUT + SLACK,
        "stop took {took:?} with a stop timeout of {STOP_TIMEOUT:?}"
    );
    let error = within(5, "the busy caller", caller)
        .await
        .unwrap()
        .expect_err("the busy call has no result");
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError, "{error}");
    let ended = with_python(|py| {
        py.import("defect_broker")
            .and_then(|module| module.call_method1("busy_done", ("stop", 10.0)))
            .and_then(|done| done.extract::<bool>())
    })
    .await
    .expect("busy_done runs");
    assert!(ended, "the busy loop was not interrupted after stop");
    let deadline = Instant::now() + Duration::from_secs(10);
    while worker_threads() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} pime-worker threads still alive 10 s after stop",
            worker_threads()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let engine = within(
        30,
        "start again",
        start_with("defect_broker", |builder| builder.thread_pool(1, 1)),
    )
    .await;
    assert_still_serving().await;
    within(30, "stop", engine.stop()).await.unwrap();
}
