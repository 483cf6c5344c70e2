//! A broker that raises a PyO3 `PanicException` — from a Rust function that panics, or
//! raised by hand — or `asyncio.CancelledError` / `GeneratorExit`: each reaches its
//! caller as a `PyException` naming the class, and the next call succeeds. Checked on
//! the built-in pool, for exclusive tasks (the engine thread itself), for `no_wait`
//! tasks, and through a user executor (done-callback path); then the engine stops
//! cleanly.

use pime::{ErrorKind, PyTask};
use pime_tests::{s, start_with, task, with_python, within};
use pyo3::prelude::*;

/// Registered into Python as `rust_panicky.boom`: a Rust function that panics.
#[pyfunction]
fn boom(message: String) {
    panic!("{message}");
}

fn register_rust_panicky(py: Python<'_>) -> PyResult<()> {
    let module = PyModule::new(py, "rust_panicky")?;
    module.add_function(wrap_pyfunction!(boom, &module)?)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("rust_panicky", module)
}

/// (task, expected exception class, expected message)
fn raising_cases() -> Vec<(PyTask, &'static str, &'static str)> {
    let raise =
        |kind: &str, message: &str| task("raise", &[("kind", s(kind)), ("message", s(message))]);
    vec![
        (
            task("rust_panic", &[("message", s("a Rust panic"))]),
            "PanicException",
            "a Rust panic",
        ),
        (
            raise("PanicException", "raised by hand"),
            "PanicException",
            "raised by hand",
        ),
        (
            raise("SubclassedPanic", "a subclass"),
            "SubclassedPanic",
            "a subclass",
        ),
        (
            raise("CancelledError", "cancelled"),
            "CancelledError",
            "cancelled",
        ),
        (
            raise("GeneratorExit", "closing"),
            "GeneratorExit",
            "closing",
        ),
    ]
}

async fn still_serving(round: &str) {
    let echoed = within(
        10,
        "the call after a panic",
        pime::call(task("echo", &[("value", s(round))])),
    )
    .await;
    assert_eq!(echoed, Ok(Some(s(round))), "{round}");
}

/// Keeps the expected panics of [`boom`] out of the test output; any other panic is
/// reported as usual.
fn quiet_boom_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let from_boom = info
            .location()
            .is_some_and(|location| location.file().ends_with("broker_panics.rs"))
            && std::thread::current().name() != Some("panics_in_brokers_reach_the_caller");
        if !from_boom {
            report(info);
        }
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_in_brokers_reach_the_caller() {
    quiet_boom_panics();
    with_python(register_rust_panicky)
        .await
        .expect("rust_panicky registers");

    // The built-in pool first, then a user executor (done-callback path).
    for executor in [false, true] {
        let engine = within(
            30,
            "start",
            start_with("panic_broker", |builder| {
                let builder = builder.thread_pool(2, 2);
                if executor {
                    builder.executor("panic_broker", "make_executor")
                } else {
                    builder
                }
            }),
        )
        .await;
        assert_eq!(
            within(10, "class_name", pime::call(task("class_name", &[]))).await,
            Ok(Some(s("pyo3_runtime.PanicException")))
        );
        for exclusive in [false, true] {
            for (mut raising, class, message) in raising_cases() {
                let round = format!("{class}, executor {executor}, exclusive {exclusive}");
                if exclusive {
                    raising.mark_exclusive();
                }
                let error = within(10, &round, pime::call(raising))
                    .await
                    .expect_err("the broker raised");
                assert_eq!(error.kind, ErrorKind::PyException, "{round}: {error}");
                assert_eq!(error.exception.as_deref(), Some(class), "{round}: {error}");
                assert_eq!(error.message, message, "{round}: {error}");
                still_serving(&round).await;
            }
            let mut swallow = task("swallow", &[("message", s("inside"))]);
            if exclusive {
                swallow.mark_exclusive();
            }
            assert_eq!(
                within(10, "swallow", pime::call(swallow)).await,
                Ok(Some(s("caught PanicException: inside")))
            );
        }
        // A no_wait task that panics only logs; the engine keeps serving.
        for _ in 0..10 {
            let mut fire = task("rust_panic", &[("message", s("nobody waits"))]);
            fire.no_wait();
            assert_eq!(pime::call(fire).await, Ok(None));
        }
        still_serving("after no_wait panics").await;
        within(30, "stop", engine.stop())
            .await
            .expect("the engine stops cleanly after panics");
    }
}
