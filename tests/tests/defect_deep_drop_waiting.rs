//! Regression: a caller dropped while its task waits for room under the engine's
//! bound must not overflow the stack dropping a deeply nested task.
//!
//! With `.queue_capacity(1).thread_pool(1, 1)` the bound is two tasks: one blocked on
//! the worker behind a gate, one queued. A third call, whose params nest 200,000
//! lists deep, then waits for room inside `pime::call`, and its future is dropped
//! there (by `tokio::time::timeout`, and by the task's own `set_timeout`). The task
//! was never converted, so nothing checked its depth: `serde_value::Value`'s own drop
//! recurses once per level and aborted the whole process with a stack overflow on
//! the tokio worker thread. `PyTask` now drops its values iteratively whatever path
//! drops it; this also holds for a 200,000-deep task dropped directly on a thread
//! with a 256 KiB stack. Afterwards the engine still serves.
//!
//! The deep values are built with loops and moved, never cloned or compared, so
//! nothing in the test itself recurses over them.

use std::collections::BTreeMap;
use std::time::Duration;

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{assert_still_serving, s, spawn_sent, start_with, task, with_python, within};
use pyo3::prelude::*;

const DEPTH: usize = 200_000;

fn deep_lists() -> Value {
    let mut value = Value::I64(1);
    for _ in 0..DEPTH {
        value = Value::Seq(vec![value]);
    }
    value
}

fn deep_maps() -> Value {
    let mut value = Value::I64(1);
    for _ in 0..DEPTH {
        value = Value::Map(BTreeMap::from([(s("k"), value)]));
    }
    value
}

/// An `echo` whose params (and, with `deep_context`, context) nest `DEPTH` deep.
fn deep_echo(deep_context: bool) -> PyTask {
    let mut echo = PyTask::new(
        s("echo"),
        BTreeMap::from([("value".to_string(), deep_lists())]),
    );
    if deep_context {
        echo.set_context("deep", deep_maps());
    }
    echo
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_task_dropped_while_waiting_for_room_does_not_overflow() {
    let engine = within(
        30,
        "start",
        start_with("defect_broker", |builder| {
            builder.queue_capacity(1).thread_pool(1, 1)
        }),
    )
    .await;

    // Fill the bound: one task blocked on the only worker, one queued behind it.
    let running = spawn_sent(task("block", &[])).await;
    let mut wait_running = task(
        "wait_running",
        &[
            ("kind", s("block")),
            ("count", Value::I64(1)),
            ("timeout", Value::F64(20.0)),
        ],
    );
    wait_running.mark_exclusive();
    assert_eq!(
        within(30, "the first block runs", pime::call(wait_running)).await,
        Ok(Some(Value::I64(1)))
    );
    let queued = spawn_sent(task("block", &[])).await;
    let stats = pime::stats();
    assert_eq!(
        (stats.in_flight, stats.queued),
        (1, 1),
        "one task running and one queued fill the bound of 2: {stats:?}"
    );

    // A deep call waits for room; its future is dropped while it waits.
    let gave_up =
        tokio::time::timeout(Duration::from_millis(200), pime::call(deep_echo(true))).await;
    assert!(
        gave_up.is_err(),
        "the deep call did not wait for room: {:?}",
        gave_up.map(|outcome| outcome.map_err(|e| e.to_string()).map(|v| v.is_some()))
    );

    // The same through the task's own timeout (the future is dropped inside `call`).
    let mut timed = deep_echo(false);
    timed.set_timeout(Duration::from_millis(200));
    let error = within(10, "a deep call with a timeout", pime::call(timed))
        .await
        .expect_err("no room within 200 ms");
    assert_eq!(error.kind, ErrorKind::Timeout, "{error}");

    // An exclusive one waits for room under the same bound.
    let mut exclusive = deep_echo(true);
    exclusive.mark_exclusive();
    let gave_up = tokio::time::timeout(Duration::from_millis(200), pime::call(exclusive)).await;
    assert!(
        gave_up.is_err(),
        "the exclusive deep call did not wait for room"
    );

    // A deep task dropped directly, on a thread with a small stack.
    let mut task_on_small_stack = PyTask::new0(deep_lists());
    task_on_small_stack.set_context("deep", deep_maps());
    let mut params_task = deep_echo(true);
    params_task.no_wait();
    let dropper = std::thread::Builder::new()
        .name("small-stack-drop".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            drop(task_on_small_stack);
            drop(params_task);
        })
        .expect("spawn a thread");
    within(
        30,
        "dropping deep tasks on a 256 KiB stack",
        tokio::task::spawn_blocking(move || dropper.join()),
    )
    .await
    .unwrap()
    .expect("the small-stack thread did not panic");

    // The engine still serves: open the gate, both blocked tasks finish, a call works.
    with_python(|py| {
        py.import("defect_broker")
            .and_then(|module| module.call_method0("open_gate"))
            .map(drop)
    })
    .await
    .expect("the gate opens");
    for (what, caller) in [("running", running), ("queued", queued)] {
        assert_eq!(
            within(30, what, caller).await.unwrap(),
            Ok(Some(s("passed"))),
            "{what}"
        );
    }
    assert_still_serving().await;
    let stats = pime::stats();
    assert_eq!((stats.in_flight, stats.queued), (0, 0), "{stats:?}");
    within(30, "stop", engine.stop()).await.unwrap();
}
