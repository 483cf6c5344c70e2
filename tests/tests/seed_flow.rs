//! The seed API end to end: the thread that holds the GIL launches the engine, async
//! code on another thread calls the broker, `stop()` makes `launch` return.

use pime::{ErrorKind, Value};
use pime_tests::{s, task, PYTHON_DIR};
use pyo3::prelude::*;

#[test]
fn seed_flow_launch_call_stop() {
    let calls = std::thread::spawn(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            pime::wait_online().await;
            assert!(pime::is_engine_started());
            let echoed = pime::call(task("echo", &[("value", s("hi"))])).await;
            assert_eq!(echoed, Ok(Some(s("hi"))));
            let none = pime::call(task("none", &[])).await;
            assert_eq!(none, Ok(None));
            let mut no_params = pime::PyTask::new0(Value::String("none".into()));
            no_params.mark_exclusive();
            assert_eq!(pime::call(no_params).await, Ok(None));
            pime::stop().await.unwrap();
            assert!(!pime::is_engine_started());
        });
    });

    let launched = Python::attach(|py| {
        let engine = pime::PySyncEngine::new(py)?;
        engine.add_import_path(PYTHON_DIR)?;
        engine.enable_debug()?;
        engine.set_thread_pool_size(2, 4)?;
        let broker = py.import("testmod").unwrap().getattr("broker").unwrap();
        engine.launch(py, &broker)
    });
    assert_eq!(launched, Ok(()));
    calls.join().unwrap();
}

#[test]
fn thread_pool_size_is_validated() {
    Python::attach(|py| {
        let engine = pime::PySyncEngine::new(py).unwrap();
        let error = engine.set_thread_pool_size(5, 2).unwrap_err();
        assert_eq!(error.kind, ErrorKind::ExecError);
        assert!(error.message.contains("min 5, max 2"), "{error}");
        assert!(engine.set_thread_pool_size(0, 0).is_err());
        assert!(engine.set_queue_capacity(0).is_err());
    });
}
