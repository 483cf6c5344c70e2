//! Regression: every setting outside its documented range is refused by `start()` (and
//! by the `PySyncEngine` setters) with an `ExecError` naming it, and the extreme
//! values inside the range work.
//!
//! Before, `queue_capacity(usize::MAX)` / `(1 << 62)` overflowed or tried to allocate
//! the queue up front, `queue_capacity(0)` panicked in the channel, `thread_pool(0, 0)`
//! gave an engine that never ran anything, `thread_pool(1, 100_000)` tried to start
//! 100,000 threads, `switch_interval(ZERO)` was a Python `ValueError` at start, and
//! `stop_timeout(Duration::MAX)` panicked adding it to `Instant::now()` at stop. Now:
//!
//! * each bad value makes `start()` return an `ExecError` whose message names the
//!   setting, the engine stays offline, and a good start works afterwards;
//! * `stop_timeout(Duration::MAX)` means no deadline: stop waits for a running 300 ms
//!   call, which gets its result, and returns without panicking;
//! * `switch_interval(Duration::MAX)` saturates (to an hour) and starts;
//! * `queue_capacity(1 << 20)` (the maximum) starts without allocating the capacity up
//!   front (resident memory grows by less than 32 MiB);
//! * `PySyncEngine`'s setters refuse the same values, and keep the last good ones.

use std::time::Duration;

use pime::{EngineBuilder, ErrorKind, PySyncEngine, Value};
use pime_tests::{assert_still_serving, resident_mib, spawn_sent, task, within, PYTHON_DIR};
use pyo3::prelude::*;

fn builder() -> EngineBuilder {
    pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker("defect_broker", "broker")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_out_of_range_are_refused_and_extremes_work() {
    type Configure = fn(EngineBuilder) -> EngineBuilder;
    let refused: [(&str, Configure, &str); 7] = [
        (
            "queue_capacity(usize::MAX)",
            |b| b.queue_capacity(usize::MAX),
            "queue capacity",
        ),
        (
            "queue_capacity(1 << 62)",
            |b| b.queue_capacity(1 << 62),
            "queue capacity",
        ),
        (
            "queue_capacity(0)",
            |b| b.queue_capacity(0),
            "queue capacity",
        ),
        ("thread_pool(0, 0)", |b| b.thread_pool(0, 0), "thread pool"),
        ("thread_pool(3, 1)", |b| b.thread_pool(3, 1), "thread pool"),
        (
            "thread_pool(1, 100_000)",
            |b| b.thread_pool(1, 100_000),
            "thread pool",
        ),
        (
            "switch_interval(ZERO)",
            |b| b.switch_interval(Duration::ZERO),
            "switch interval",
        ),
    ];
    for (what, configure, named) in refused {
        let outcome = within(30, what, configure(builder()).start()).await;
        let error = outcome.expect_err(what);
        assert_eq!(error.kind, ErrorKind::ExecError, "{what}: {error}");
        assert!(error.message.contains(named), "{what}: {error}");
        assert!(!pime::is_engine_started(), "{what}: the engine is online");
        let call = within(
            5,
            "a call",
            pime::call(task("echo", &[("value", Value::I64(1))])),
        )
        .await
        .expect_err("no engine");
        assert_eq!(
            call.kind,
            ErrorKind::PySyncEngineStateError,
            "{what}: {call}"
        );
    }

    // A good start works after them.
    let engine = within(30, "a good start", builder().thread_pool(1, 2).start())
        .await
        .expect("starts");
    assert_still_serving().await;
    within(30, "stop", engine.stop()).await.unwrap();

    // stop_timeout(MAX): no deadline; stop waits for the running call.
    let engine = within(
        30,
        "stop_timeout(MAX)",
        builder()
            .thread_pool(1, 2)
            .stop_timeout(Duration::MAX)
            .start(),
    )
    .await
    .expect("starts");
    assert_still_serving().await;
    let sleeper = spawn_sent(task("sleep", &[("seconds", Value::F64(0.3))])).await;
    let mut running = task(
        "wait_running",
        &[
            ("kind", pime_tests::s("sleep")),
            ("count", Value::I64(1)),
            ("timeout", Value::F64(20.0)),
        ],
    );
    running.mark_exclusive();
    assert_eq!(
        within(30, "the sleep runs", pime::call(running)).await,
        Ok(Some(Value::I64(1)))
    );
    within(30, "stop with stop_timeout(MAX)", engine.stop())
        .await
        .expect("stop returns Ok");
    assert_eq!(
        within(5, "the sleeper", sleeper).await.unwrap(),
        Ok(Some(Value::F64(0.3))),
        "stop waited for the running call"
    );

    // switch_interval(MAX) saturates to an hour.
    let engine = within(
        30,
        "switch_interval(MAX)",
        builder()
            .thread_pool(1, 2)
            .switch_interval(Duration::MAX)
            .start(),
    )
    .await
    .expect("starts");
    let interval = within(
        10,
        "switch_interval",
        pime::call(task("switch_interval", &[])),
    )
    .await;
    assert_eq!(interval, Ok(Some(Value::F64(3600.0))));
    within(30, "stop", engine.stop()).await.unwrap();

    // The largest queue capacity, not allocated up front (and the switch interval back
    // to Python's default for the rest of the test).
    let before = resident_mib();
    let engine = within(
        30,
        "queue_capacity(1 << 20)",
        builder()
            .thread_pool(1, 2)
            .queue_capacity(1 << 20)
            .switch_interval(Duration::from_millis(5))
            .start(),
    )
    .await
    .expect("starts");
    assert_still_serving().await;
    let growth = resident_mib() - before;
    eprintln!("settings: queue_capacity(1 << 20) grew resident memory by {growth:.1} MiB");
    assert!(growth < 32.0, "resident memory grew by {growth:.1} MiB");
    within(30, "stop", engine.stop()).await.unwrap();

    // The PySyncEngine setters refuse the same values, on a plain thread.
    let setters = std::thread::spawn(|| {
        Python::attach(|py| {
            let engine = PySyncEngine::new(py).expect("a PySyncEngine");
            let refused = [
                ("set_queue_capacity(0)", engine.set_queue_capacity(0)),
                (
                    "set_queue_capacity(usize::MAX)",
                    engine.set_queue_capacity(usize::MAX),
                ),
                (
                    "set_thread_pool_size(0, 0)",
                    engine.set_thread_pool_size(0, 0),
                ),
                (
                    "set_thread_pool_size(3, 1)",
                    engine.set_thread_pool_size(3, 1),
                ),
                (
                    "set_thread_pool_size(1, 100_000)",
                    engine.set_thread_pool_size(1, 100_000),
                ),
                (
                    "set_switch_interval(ZERO)",
                    engine.set_switch_interval(Duration::ZERO),
                ),
            ];
            for (what, outcome) in refused {
                let error = outcome.expect_err(what);
                assert_eq!(error.kind, ErrorKind::ExecError, "{what}: {error}");
            }
            engine
                .set_queue_capacity(1 << 20)
                .expect("the largest capacity");
            engine
                .set_thread_pool_size(1, 1024)
                .expect("the largest pool");
            engine.set_thread_pool_size(2, 2).expect("a pool of 2");
            let debug = format!("{engine:?}");
            assert!(
                debug.contains("min_workers: 2") && debug.contains("queue_capacity: 1048576"),
                "the refused values changed the configuration: {debug}"
            );
        })
    });
    within(
        30,
        "the PySyncEngine setters",
        tokio::task::spawn_blocking(move || setters.join()),
    )
    .await
    .unwrap()
    .expect("the setter checks passed");
    assert!(!pime::is_engine_started());
}
