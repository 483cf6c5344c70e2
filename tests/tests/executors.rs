//! Any `concurrent.futures.Executor` can run the broker: a user's thread pool (left
//! running after stop), and a process pool that starts a real Python interpreter.

use pime::{ErrorKind, Value};
use pime_tests::{call_ok, s, task, PYTHON_DIR};
use pyo3::prelude::*;

async fn start_with_executor(factory: &str) -> pime::Engine {
    pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .executor("execmod", factory)
        .broker("execmod", "broker")
        .start()
        .await
        .expect("the engine starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_executors_run_the_broker() {
    // A user thread pool.
    let engine = start_with_executor("thread_pool").await;
    let Value::Map(place) = call_ok("where", &[]).await else {
        panic!("a dict")
    };
    let Value::String(thread) = &place[&s("thread")] else {
        panic!("a name")
    };
    assert!(thread.starts_with("user-pool"), "ran on {thread}");
    assert_eq!(
        call_ok("square", &[("n", Value::I64(12))]).await,
        Value::I64(144)
    );
    let error = pime::call(task("fail", &[("message", s("boom"))]))
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.exception.as_deref()),
        (ErrorKind::PyException, Some("ValueError"))
    );
    engine.stop().await.unwrap();
    let still_open = Python::attach(|py| {
        let pool = py
            .import("execmod")
            .unwrap()
            .getattr("THREAD_POOL")
            .unwrap();
        !pool
            .getattr("_shutdown")
            .unwrap()
            .extract::<bool>()
            .unwrap()
    });
    assert!(still_open, "the engine shut down a pool it does not own");

    // A process pool: the broker runs in other processes, results and errors come back.
    let engine = start_with_executor("process_pool").await;
    let calls: Vec<_> = (0..20i64)
        .map(|n| tokio::spawn(pime::call(task("square", &[("n", Value::I64(n))]))))
        .collect();
    for (n, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap(), Ok(Some(Value::I64((n * n) as i64))));
    }
    let Value::Map(place) = call_ok("where", &[]).await else {
        panic!("a dict")
    };
    assert_ne!(place[&s("pid")], Value::I64(i64::from(std::process::id())));
    let error = pime::call(task("fail", &[("message", s("far away"))]))
        .await
        .unwrap_err();
    assert_eq!(error.exception.as_deref(), Some("ValueError"));
    assert_eq!(error.message, "far away");
    engine.stop().await.unwrap();
}
