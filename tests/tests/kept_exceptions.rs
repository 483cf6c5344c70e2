//! A broker that keeps its exceptions alive (and with them the worker's frames, which
//! reference the job) does not make `stop()` wait for Python's garbage collector.

use std::time::Duration;

use pime_tests::{start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_exceptions_do_not_block_stop() {
    let engine = start("asyncmod", 2, 2).await;
    for _ in 0..10 {
        let error = pime::call(task("fail_and_keep", &[])).await.unwrap_err();
        assert_eq!(error.message, "kept");
    }
    tokio::time::timeout(Duration::from_secs(10), engine.stop())
        .await
        .expect("stop must not wait for the kept exceptions")
        .unwrap();
}
