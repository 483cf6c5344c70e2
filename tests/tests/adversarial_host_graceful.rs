//! Adversarial: graceful `stop()` (no stop timeout) while host calls are in flight -
//! sync and `aio`, and a command that keeps making host calls after stop began; then
//! `stop()` without a stop timeout while an `aio` host call never ends.
//!
//! README: "`engine.stop().await` ... is graceful: tasks sent before finish and their
//! callers get results". (Without `stop_timeout` a never-ending call holds `stop()`:
//! that is what the stop timeout is for.)

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::host_support::{answer, bounded, launch};
use pime_tests::{s, task};

#[pime::host_module(module = "graceful_app")]
pub trait GracefulApp {
    async fn slow(&self, ms: u64) -> pime::Result<String>;
    async fn forever(&self) -> pime::Result<()>;
}

struct Impl;

impl GracefulApp for Impl {
    async fn slow(&self, ms: u64) -> pime::Result<String> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(format!("slept {ms}"))
    }
    async fn forever(&self) -> pime::Result<()> {
        std::future::pending::<()>().await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_with_host_calls_in_flight() {
    let start = || {
        launch("adversarial_host_graceful", |b| {
            b.thread_pool(1, 2).host(GracefulAppHost::new(Impl))
        })
    };
    let engine = start().await;
    let sync = pime_tests::spawn_sent(task("slow_sync", &[("ms", Value::U64(800))])).await;
    let aio = pime_tests::spawn_sent(task("slow_async", &[("ms", Value::U64(800))])).await;
    let chain = pime_tests::spawn_sent(task(
        "chain",
        &[("ms", Value::U64(100)), ("n", Value::U64(10))],
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    bounded(
        "graceful stop (returns once the host calls end)",
        20,
        engine.stop(),
    )
    .await
    .unwrap();
    eprintln!("graceful stop took {:?}", started.elapsed());
    let mut problems = Vec::new();
    let sync = bounded("sync caller", 5, sync).await.unwrap();
    let aio = bounded("aio caller", 5, aio).await.unwrap();
    let chain = bounded("chain caller", 5, chain).await.unwrap();
    if sync != Ok(Some(s("slept 800"))) {
        problems.push(format!("sync host call across graceful stop: {sync:?}"));
    }
    if aio != Ok(Some(s("slept 800"))) {
        problems.push(format!("aio host call across graceful stop: {aio:?}"));
    }
    if chain != Ok(Some(Value::Seq(vec![s("slept 100"); 10]))) {
        problems.push(format!(
            "host calls made after stop() began, by a task sent before: {chain:?}"
        ));
    }

    // Relaunch; a never-ending aio host call; stop() without a stop timeout.
    let engine = start().await;
    let forever = pime_tests::spawn_sent(task("forever_async", &[])).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = answer(10, engine.stop()).await;
    eprintln!("stop without stop_timeout, aio host call never ends: {stopped:?}");
    // The README's graceful stop waits for every task, this pending one included.
    if stopped.is_ok() {
        problems.push("stop() returned while an aio host call was still pending".into());
    }
    // Escape hatch: dropping the caller cancels the coroutine, so the stop can finish.
    forever.abort();
    let offline = answer(10, pime::wait_offline()).await;
    eprintln!("offline after dropping the caller: {offline:?}");
    if offline.is_err() {
        problems
            .push("dropping the caller of the pending aio call did not let the stop finish".into());
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
