//! Adversarial: start-up of `.interpreters(n)` with brokers that fail in the
//! subinterpreters only (SystemExit, KeyboardInterrupt, an unprintable exception, one
//! interpreter out of four, no `broker`, a non-callable `broker`), odd broker objects,
//! a second engine, and relaunch after each failed start.

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{s, task, within, PYTHON_DIR};
use pyo3::prelude::*;

fn builder(module: &str, n: u32) -> pime::EngineBuilder {
    pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .interpreters(n)
        .broker(module, "broker")
}

async fn refused(what: &str, builder: pime::EngineBuilder) -> pime::Error {
    let outcome = within(60, what, builder.start()).await;
    let error = outcome.err().unwrap_or_else(|| panic!("{what}: started"));
    println!("{what}: {error}");
    assert_eq!(error.kind, ErrorKind::ExecError, "{what}: {error:#?}");
    assert!(
        !pime::is_engine_started(),
        "{what}: the engine is left running"
    );
    error
}

/// A good start right after, serving from a subinterpreter.
async fn relaunch_serves(what: &str) {
    let engine = within(60, what, builder("adversarial_interp_setup", 2).start())
        .await
        .unwrap_or_else(|e| panic!("{what}: relaunch failed: {e}"));
    let id = within(10, what, pime::call(PyTask::new0(s("where")))).await;
    assert!(
        matches!(id, Ok(Some(Value::I64(n))) if n != 0),
        "{what}: {id:?}"
    );
    within(30, what, engine.stop()).await.unwrap();
}

fn object(module: &str, attr: &str) -> Py<PyAny> {
    Python::attach(|py| {
        let sys = py.import("sys").unwrap();
        sys.getattr("path")
            .unwrap()
            .call_method1("insert", (0, PYTHON_DIR))
            .unwrap();
        py.import(module).unwrap().getattr(attr).unwrap().unbind()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_starts() {
    let slots = pime_tests::scratch_dir(env!("CARGO_TARGET_TMPDIR"), "adv-interp-slots");
    std::env::set_var("PIME_ADV_SLOTS", &slots);
    if !pime_tests::subinterpreters_supported() {
        return;
    }

    // SystemExit while importing the broker in a subinterpreter: an error, never an
    // exit of the process.
    let e = refused(
        "SystemExit at import",
        builder("adversarial_interp_exit_in_sub", 2),
    )
    .await;
    assert!(e.message.contains("adversarial_interp_exit_in_sub"), "{e}");
    relaunch_serves("after SystemExit").await;

    let e = refused(
        "KeyboardInterrupt at import",
        builder("adversarial_interp_kbd_in_sub", 2),
    )
    .await;
    assert!(e.message.contains("adversarial_interp_kbd_in_sub"), "{e}");
    relaunch_serves("after KeyboardInterrupt").await;

    refused(
        "unprintable at import",
        builder("adversarial_interp_badstr_in_sub", 2),
    )
    .await;
    relaunch_serves("after unprintable").await;

    // One interpreter out of four fails: the others must be ended, start must return.
    let e = refused(
        "second of four fails",
        builder("adversarial_interp_nth_fails", 4),
    )
    .await;
    assert!(e.message.contains("second subinterpreter refuses"), "{e}");
    let claimed = std::fs::read_dir(&slots).unwrap().count();
    println!("slots claimed: {claimed}");
    relaunch_serves("after one of four failed").await;

    refused(
        "no broker in sub",
        builder("adversarial_interp_no_broker_in_sub", 2),
    )
    .await;
    relaunch_serves("after no broker").await;
    refused(
        "not callable in sub",
        builder("adversarial_interp_not_callable_in_sub", 2),
    )
    .await;
    relaunch_serves("after not callable").await;

    refused(
        "missing module",
        builder("adversarial_interp_does_not_exist", 2),
    )
    .await;
    relaunch_serves("after missing module").await;

    // A single-phase extension imported at call time: an exception for that call only.
    let engine = within(60, "start", builder("adversarial_interp_setup", 2).start())
        .await
        .unwrap();
    let e = within(
        10,
        "lazy single",
        pime::call(PyTask::new0(s("lazy_single"))),
    )
    .await
    .expect_err("single-phase init at call time");
    assert_eq!(e.kind, ErrorKind::PyException, "{e:#?}");
    assert_eq!(e.exception.as_deref(), Some("ImportError"), "{e:#?}");
    // Again, on the other interpreter too.
    for _ in 0..4 {
        let e = within(
            10,
            "lazy single",
            pime::call(PyTask::new0(s("lazy_single"))),
        )
        .await;
        assert!(e.is_err(), "{e:?}");
    }
    let mut t = PyTask::new0(s("lazy_single"));
    t.mark_exclusive();
    assert_eq!(
        within(10, "lazy single exclusive", pime::call(t)).await,
        Ok(Some(s("imported"))),
        "the main interpreter imports it"
    );
    // A second engine while this one runs.
    let second = within(
        60,
        "second engine",
        builder("adversarial_interp_setup", 2).start(),
    )
    .await;
    let Err(e) = second else {
        panic!("a second engine is refused")
    };
    assert_eq!(e.kind, ErrorKind::PySyncEngineStateError, "{e:#?}");
    assert_eq!(
        within(
            10,
            "still serving",
            pime::call(task("echo", &[("value", s("x"))]))
        )
        .await,
        Ok(Some(s("x")))
    );
    within(30, "stop", engine.stop()).await.unwrap();

    // Broker objects. A bound method: `__name__` "handle" is no attribute of the
    // module. Either refused, or it serves the given method.
    let bound = object("adversarial_interp_setup", "handler");
    let bound = Python::attach(|py| bound.bind(py).getattr("handle").unwrap().unbind());
    let outcome = within(
        60,
        "bound method",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(2)
            .broker_object(bound)
            .start(),
    )
    .await;
    match outcome {
        Err(e) => {
            println!("bound method refused: {e}");
            assert_eq!(e.kind, ErrorKind::ExecError);
            assert!(!pime::is_engine_started());
        }
        Ok(engine) => {
            let r = within(10, "bound", pime::call(PyTask::new0(s("c")))).await;
            assert_eq!(r, Ok(Some(Value::Seq(vec![s("handled"), s("c")]))));
            within(30, "stop", engine.stop()).await.unwrap();
        }
    }

    // An object whose `__module__`/`__name__` name another object (the module rebound
    // `broker` after `original` kept the first function): the pooled calls must run
    // the broker that was given (as exclusive calls, in the main interpreter, do), or
    // start must refuse it.
    let original = object("adversarial_interp_rebound", "original");
    let outcome = within(
        60,
        "rebound",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(2)
            .broker_object(original)
            .start(),
    )
    .await;
    match outcome {
        Err(e) => {
            println!("rebound refused: {e}");
            assert_eq!(e.kind, ErrorKind::ExecError);
        }
        Ok(engine) => {
            let mut t = PyTask::new0(s("c"));
            t.mark_exclusive();
            let exclusive = within(10, "exclusive", pime::call(t)).await;
            let pooled = within(10, "pooled", pime::call(PyTask::new0(s("c")))).await;
            within(30, "stop", engine.stop()).await.unwrap();
            assert_eq!(exclusive, Ok(Some(s("first"))));
            assert_eq!(
                pooled,
                Ok(Some(s("first"))),
                "the pooled calls ran another broker than the object given"
            );
        }
    }
    relaunch_serves("after broker objects").await;
}
