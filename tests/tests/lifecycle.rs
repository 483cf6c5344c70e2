//! Calls before start and after stop fail at once; stop resolves every in-flight
//! caller; the engine launches again after a stop.

use std::time::Duration;

use pime::{ErrorKind, Value};
use pime_tests::{s, spawn_sent, start, task, wait_running, PYTHON_DIR};

/// Fails the test instead of hanging when `future` does not finish within 10 s.
async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("this must not hang")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle() {
    // Before any start.
    assert!(!pime::is_engine_started());
    let error = within(pime::call(task("echo", &[("value", s("x"))])))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError);
    let error = within(pime::stop()).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError);
    within(pime::wait_offline()).await;

    for round in 0..3 {
        let engine = within(start("testmod", 2, 8)).await;
        assert!(pime::is_engine_started());
        within(pime::wait_online()).await;

        // A second engine in the same process is refused.
        let second = pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .broker("testmod", "broker")
            .start()
            .await
            .unwrap_err();
        assert_eq!(second.kind, ErrorKind::PySyncEngineStateError, "{second}");

        // In flight when stop() comes: every caller gets its result.
        let mut in_flight = Vec::new();
        for i in 0..6 {
            let seconds = Value::F64(0.3 + i as f64 / 100.0);
            in_flight.push(spawn_sent(task("sleep", &[("seconds", seconds)])).await);
        }
        within(wait_running(6)).await;
        within(engine.stop()).await.unwrap();
        for (i, call) in in_flight.into_iter().enumerate() {
            assert_eq!(
                within(call).await.unwrap(),
                Ok(Some(Value::F64(0.3 + i as f64 / 100.0))),
                "round {round}"
            );
        }

        // After stop.
        assert!(!pime::is_engine_started());
        let error = within(pime::call(task("echo", &[("value", s("x"))])))
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::PySyncEngineStateError);
        assert!(within(pime::stop()).await.is_err());
    }
}
