//! Control for `adversarial_host_graceful.rs` (no host module): an async command in
//! `asyncio.sleep(10**6)`, `stop()` without a stop timeout, then the Rust caller is
//! dropped. Does dropping the caller during a stop cancel the coroutine (README:
//! "Dropping the Rust future cancels the asyncio task") so the stop can finish?

use std::time::Duration;

use pime::Value;
use pime_tests::host_support::{answer, launch};
use pime_tests::task;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_caller_during_a_graceful_stop() {
    let engine = launch("asyncmod", |b| b.thread_pool(1, 2)).await;
    let nap = pime_tests::spawn_sent(task("nap", &[("seconds", Value::F64(1e6))])).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = tokio::spawn(engine.stop());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !stopping.is_finished(),
        "graceful stop waits for the nap (as documented)"
    );
    nap.abort();
    let stopped = answer(10, stopping).await;
    assert!(
        stopped.is_ok(),
        "the caller was dropped during stop(), yet stop() still waits for its coroutine 10 s later"
    );
}
