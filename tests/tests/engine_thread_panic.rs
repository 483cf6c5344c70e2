//! A panic on the engine thread outside any broker call — here a `log::Log` that
//! panics when the engine logs an exclusive task in debug mode (exclusive tasks run on
//! the engine thread) — takes the engine offline: the caller of that task, the callers
//! queued behind it, a pending `stop()` and `wait_offline()` all resolve (with an error
//! for the callers, `InternalError` from `Engine::wait`), later calls fail at once, and
//! a new engine launches and serves.

use std::sync::atomic::{AtomicBool, Ordering};

use pime::{ErrorKind, Value};
use pime_tests::{s, spawn_sent, start_with, task, with_python, within};
use pyo3::prelude::*;

/// Panics on the `pime` record of a finished `wait_gate` task while armed.
struct PanickingLogger {
    armed: AtomicBool,
}

impl log::Log for PanickingLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if record.target() == "pime"
            && record.args().to_string().starts_with("task wait_gate")
            && self.armed.swap(false, Ordering::SeqCst)
        {
            panic!("the logger panicked on the engine thread");
        }
    }
    fn flush(&self) {}
}

static LOGGER: PanickingLogger = PanickingLogger {
    armed: AtomicBool::new(true),
};

/// Keeps the expected panic of the logger out of the test output; any other panic is
/// reported as usual.
fn quiet_logger_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let expected = std::thread::current().name() == Some("pime-engine")
            && info
                .location()
                .is_some_and(|location| location.file().ends_with("engine_thread_panic.rs"));
        if !expected {
            report(info);
        }
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_thread_panic_resolves_everyone() {
    quiet_logger_panic();
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    let engine = within(
        30,
        "start",
        start_with("gate_broker", |builder| builder.thread_pool(2, 2).debug()),
    )
    .await;

    // A pooled task running when the engine thread dies.
    let pooled = spawn_sent(task("sleep", &[("seconds", Value::F64(0.2))])).await;
    // The exclusive task whose debug log panics, once the test opens its gate.
    let mut gated = task("wait_gate", &[]);
    gated.mark_exclusive();
    let gated = spawn_sent(gated).await;
    // Callers queued behind it on the blocked engine thread (exclusive tasks: pooled
    // ones go straight to the pool's workers), and a stop request.
    let mut queued = Vec::new();
    for i in 0..5 {
        let mut echo = task("echo", &[("value", Value::I64(i))]);
        echo.mark_exclusive();
        queued.push(spawn_sent(echo).await);
    }
    let mut fire_and_forget = task("echo", &[("value", s("nobody waits"))]);
    fire_and_forget.no_wait().mark_exclusive();
    assert_eq!(pime::call(fire_and_forget).await, Ok(None));
    let stopping = tokio::spawn(pime::stop());

    with_python(|py| {
        py.import("gate_broker")
            .and_then(|module| module.call_method0("open_gate"))
            .map(drop)
    })
    .await
    .expect("the gate opens");

    within(10, "offline after the panic", pime::wait_offline()).await;
    assert!(!pime::is_engine_started());
    let ended = within(10, "Engine::wait", engine.wait()).await;
    let error = ended.expect_err("the engine thread panicked");
    assert_eq!(error.kind, ErrorKind::InternalError, "{error}");

    let gated = within(10, "the exclusive caller", gated).await.unwrap();
    let error = gated.expect_err("the task's reply died with the engine thread");
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError, "{error}");
    for (i, caller) in queued.into_iter().enumerate() {
        let outcome = within(10, "a queued caller", caller).await.unwrap();
        let error = outcome.expect_err("a queued task never ran");
        assert_eq!(
            error.kind,
            ErrorKind::PySyncEngineStateError,
            "caller {i}: {error}"
        );
    }
    // The pooled task was already in a worker: it finishes with its result.
    let pooled = within(10, "the pooled caller", pooled).await.unwrap();
    assert_eq!(pooled, Ok(Some(Value::F64(0.2))));
    // stop() was waiting for the engine to go offline: it resolves.
    let stopped = within(10, "the pending stop", stopping).await.unwrap();
    assert!(
        stopped.is_ok() || stopped.as_ref().unwrap_err().kind == ErrorKind::PySyncEngineStateError,
        "{stopped:?}"
    );
    let late = within(
        5,
        "a call after the panic",
        pime::call(task("echo", &[("value", s("x"))])),
    )
    .await
    .unwrap_err();
    assert_eq!(late.kind, ErrorKind::PySyncEngineStateError, "{late}");

    // A new engine launches and serves, debug logging included (the logger is disarmed).
    let engine = within(
        30,
        "relaunch",
        start_with("gate_broker", |builder| builder.thread_pool(1, 2).debug()),
    )
    .await;
    let mut exclusive = task("echo", &[("value", s("exclusive"))]);
    exclusive.mark_exclusive();
    assert_eq!(
        within(10, "exclusive echo", pime::call(exclusive)).await,
        Ok(Some(s("exclusive")))
    );
    assert_eq!(
        within(
            10,
            "pooled echo",
            pime::call(task("echo", &[("value", s("pooled"))]))
        )
        .await,
        Ok(Some(s("pooled")))
    );
    let mut gated = task("wait_gate", &[]);
    gated.mark_exclusive();
    assert_eq!(
        within(10, "the gate is open now", pime::call(gated)).await,
        Ok(Some(s("passed")))
    );
    within(30, "stop", engine.stop()).await.unwrap();
}
