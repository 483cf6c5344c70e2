//! 200 blocking `time.sleep` calls run in parallel on a pool of 100.

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{call_ok, start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_calls_run_in_parallel() {
    let engine = start("testmod", 100, 100).await;
    let started = Instant::now();
    let sleeps: Vec<_> = (0..200)
        .map(|_| tokio::spawn(pime::call(task("sleep", &[("seconds", Value::F64(0.2))]))))
        .collect();
    for sleep in sleeps {
        assert_eq!(sleep.await.unwrap(), Ok(Some(Value::F64(0.2))));
    }
    let elapsed = started.elapsed();
    // The pool was full: exactly 100 sleeps ran at the same moment, never more.
    assert_eq!(call_ok("max_running", &[]).await, Value::I64(100));
    // Run one after another they would take 40 s; a loose bound, the benchmark measures.
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");
    engine.stop().await.unwrap();
}
