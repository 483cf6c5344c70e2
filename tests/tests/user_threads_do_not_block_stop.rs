//! A broker that starts its own non-daemon threads and leaves them running — threads
//! blocked on an event, a thread spinning in pure Python (so it competes for the GIL
//! the engine needs to shut down), and a private `ThreadPoolExecutor` never shut down —
//! does not stop `stop()` from returning; the threads keep running after it, and a new
//! engine starts and serves while they do.

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{assert_still_serving, start, task, with_python, within};
use pyo3::prelude::*;

/// `stop()` does nothing that depends on these threads; on a busy 2-core machine it
/// still returns in milliseconds, so 5 s means "it waited for them".
const STOP_BOUND: Duration = Duration::from_secs(5);

fn names(value: Option<Value>) -> Vec<String> {
    match value {
        Some(Value::Seq(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(name) => name,
                other => panic!("a thread name, got {other:?}"),
            })
            .collect(),
        other => panic!("a list of thread names, got {other:?}"),
    }
}

fn expected_threads() -> Vec<String> {
    let mut expected: Vec<String> = (0..3).map(|i| format!("user-waiting-{i}")).collect();
    expected.push("user-spinning".into());
    expected.push("user-pool_0".into());
    expected.push("user-pool_1".into());
    expected.sort();
    expected
}

async fn alive_through_the_gil() -> Vec<String> {
    let alive = with_python(|py| -> PyResult<Vec<String>> {
        py.import("threads_broker")?
            .call_method0("alive")?
            .extract()
    })
    .await;
    alive.expect("threads_broker.alive()")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_threads_do_not_block_stop() {
    let engine = within(30, "start", start("threads_broker", 2, 2)).await;
    let started = within(
        10,
        "start_threads",
        pime::call(task("start_threads", &[("waiting", Value::I64(3))])),
    )
    .await
    .expect("start_threads");
    assert_eq!(names(started), expected_threads());

    let stopping = Instant::now();
    within(30, "stop with user threads running", engine.stop())
        .await
        .expect("the engine stops");
    let took = stopping.elapsed();
    eprintln!("user threads: stop returned after {took:?}");
    assert!(took < STOP_BOUND, "stop took {took:?}");
    assert_eq!(alive_through_the_gil().await, expected_threads());

    // A new engine starts and serves while the old broker's threads still run.
    let engine = within(30, "restart", start("threads_broker", 1, 2)).await;
    assert_still_serving().await;
    let alive = within(10, "alive", pime::call(task("alive", &[]))).await;
    assert_eq!(names(alive.unwrap()), expected_threads());
    let stopping = Instant::now();
    within(30, "second stop", engine.stop()).await.unwrap();
    assert!(
        stopping.elapsed() < STOP_BOUND,
        "stop took {:?}",
        stopping.elapsed()
    );

    // Clean up: the threads end once released.
    let left = with_python(|py| -> PyResult<Vec<String>> {
        py.import("threads_broker")?
            .call_method1("release", (10.0,))?
            .extract()
    })
    .await
    .expect("threads_broker.release()");
    assert!(left.is_empty(), "still running after release: {left:?}");
}
