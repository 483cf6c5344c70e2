//! Adversarial: `interrupt_on_deadline(true)` and a task whose timeout passes while it
//! waits in a sync host call, on `.thread_pool(1, 1)`, while another task (no timeout,
//! pure Python) runs meanwhile. The deadline's `KeyboardInterrupt` must land in the
//! waiting task only. (It once could land in the other one: the waiting worker used to
//! run queued tasks on its own thread.)
//!
//! README: "With `.interrupt_on_deadline(true)` a sync broker is interrupted when its
//! timeout or the stop deadline passes (`KeyboardInterrupt` raised in its thread)";
//! "A sync host call is not interrupted by `interrupt_on_deadline`".

use std::time::{Duration, Instant};

use pime::{ErrorKind, Value};
use pime_tests::host_support::{bounded, call_within, launch};
use pime_tests::{s, task};

#[pime::host_module(module = "intr_app")]
pub trait IntrApp {
    async fn slow(&self, ms: u64) -> pime::Result<()>;
}

struct Impl;

impl IntrApp for Impl {
    async fn slow(&self, ms: u64) -> pime::Result<()> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_interrupt_while_another_task_runs() {
    let engine = launch("adversarial_host_interrupt", |b| {
        b.thread_pool(1, 1)
            .interrupt_on_deadline(true)
            .stop_timeout(Duration::from_secs(3))
            .host(IntrAppHost::new(Impl))
    })
    .await;
    let mut problems = Vec::new();

    let mut timed = task("wait_in_host", &[("ms", Value::U64(1500))]);
    timed.set_timeout(Duration::from_millis(400));
    let timed = pime_tests::spawn_sent(timed).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Runs on the worker that waits in the host call, across the 400 ms deadline.
    let started = Instant::now();
    let busy = call_within(10, "busy", &[("seconds", Value::F64(1.0))]).await;
    eprintln!(
        "busy (no timeout of its own): {busy:?} after {:?}",
        started.elapsed()
    );
    if busy != Ok(Some(s("busy done"))) {
        problems.push(format!(
            "a task without a timeout, served by the waiting worker, got another task's deadline interrupt: {busy:?}"
        ));
    }
    let timed = bounded("timed", 10, timed).await.unwrap();
    eprintln!("timed: {timed:?}");
    if timed.as_ref().map_err(|e| e.kind) != Err(ErrorKind::Timeout) {
        problems.push(format!("the timed task: {timed:?}"));
    }
    // The worker is still sound afterwards.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = call_within(10, "busy", &[("seconds", Value::F64(0.2))]).await;
    if again != Ok(Some(s("busy done"))) {
        problems.push(format!("a later task on that worker: {again:?}"));
    }
    bounded("stop", 10, engine.stop()).await.ok();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
