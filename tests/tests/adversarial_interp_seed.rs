//! Adversarial: the seed API with subinterpreters. `PySyncEngine::set_interpreters`
//! validates its range at once, and `launch` (which the GIL-holding thread calls) with a
//! `pime.Broker()` instance (no `__name__`: found as the module attribute holding it)
//! starts the subinterpreter workers without a deadlock, serves, and stops.

use std::time::Duration;

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{s, task, PYTHON_DIR};
use pyo3::prelude::*;

#[test]
fn seed_api_with_interpreters() {
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    Python::attach(|py| {
        let engine = pime::PySyncEngine::new(py).unwrap();
        for bad in [0, 1025, 2000, u32::MAX] {
            let e = engine.set_interpreters(bad).expect_err("out of range");
            assert_eq!(e.kind, ErrorKind::ExecError, "{bad}: {e}");
        }
    });

    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let calls = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let outcome = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), pime::wait_online())
                .await
                .map_err(|_| "never online".to_string())?;
            let id = tokio::time::timeout(
                Duration::from_secs(10),
                pime::call(PyTask::new0(s("where"))),
            )
            .await
            .map_err(|_| "where hung".to_string())?;
            if !matches!(id, Ok(Some(Value::I64(n))) if n != 0) {
                return Err(format!("not in a subinterpreter: {id:?}"));
            }
            let echoed = tokio::time::timeout(
                Duration::from_secs(10),
                pime::call(task("echo", &[("value", s("hi"))])),
            )
            .await
            .map_err(|_| "echo hung".to_string())?;
            if echoed != Ok(Some(s("hi"))) {
                return Err(format!("echo: {echoed:?}"));
            }
            tokio::time::timeout(Duration::from_secs(30), pime::stop())
                .await
                .map_err(|_| "stop hung".to_string())?
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(())
        });
        done_tx.send(outcome.clone()).ok();
        outcome
    });

    let launcher = std::thread::spawn(|| {
        Python::attach(|py| {
            let engine = pime::PySyncEngine::new(py)?;
            engine.add_import_path(PYTHON_DIR)?;
            engine.set_interpreters(3)?;
            let sys = py.import("sys").unwrap();
            sys.getattr("path")
                .unwrap()
                .call_method1("insert", (0, PYTHON_DIR))
                .unwrap();
            let broker = py
                .import("adversarial_interp_setup")
                .unwrap()
                .getattr("broker")
                .unwrap();
            engine.launch(py, &broker)
        })
    });
    let outcome = match done_rx.recv_timeout(Duration::from_secs(90)) {
        Ok(outcome) => outcome,
        Err(_) => panic!("the seed launch with interpreters hung (no answer in 90 s)"),
    };
    if outcome.is_err() && launcher.is_finished() {
        panic!(
            "{outcome:?}; launch returned {:?}",
            launcher.join().unwrap()
        );
    }
    assert_eq!(outcome, Ok(()));
    calls.join().unwrap().unwrap();
    assert_eq!(launcher.join().unwrap(), Ok(()));
}
