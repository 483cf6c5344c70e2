//! With interrupt on deadline, a pool worker waiting in a host call whose nested task
//! runs on another worker (a pool of one: the waiting worker lends its place): the
//! outer task's deadline must interrupt the outer task when its code runs again,
//! never the nested task, and must not be lost while the outer broker waits in Rust.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pime::{host_module, ErrorKind, Value};
use pime_tests::{s, task};

#[host_module(module = "app")]
pub trait App {
    /// Sends `spin(ms)` and records how it ended.
    async fn spin_nested(&self, ms: u64) -> pime::Result<()>;
}

struct Recorder(Arc<Mutex<Option<pime::Result<Option<Value>>>>>);

impl App for Recorder {
    async fn spin_nested(&self, ms: u64) -> pime::Result<()> {
        let outcome = pime::call(task("spin", &[("ms", Value::U64(ms))])).await;
        *self.0.lock().unwrap() = Some(outcome);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outer_deadline_interrupts_the_outer_task_only() {
    tokio::time::timeout(Duration::from_secs(60), scenario())
        .await
        .expect("the interrupt scenario finishes in time");
}

async fn scenario() {
    let nested = Arc::new(Mutex::new(None));
    let engine = pime_tests::start_with("host_interrupt", |builder| {
        builder
            .thread_pool(1, 1)
            .interrupt_on_deadline(true)
            .host(AppHost::new(Recorder(Arc::clone(&nested))))
    })
    .await;

    let mut outer = task("spin_via_host", &[("ms", Value::U64(600))]);
    outer.set_timeout(Duration::from_millis(150));
    let timed_out = pime::call(outer).await.unwrap_err();
    assert_eq!(timed_out.kind, ErrorKind::Timeout, "{timed_out}");

    // The nested task ran to its end on the worker, uninterrupted.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let outcome = loop {
        if let Some(outcome) = nested.lock().unwrap().take() {
            break outcome;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the nested task never ended"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(outcome, Ok(Some(s("spun"))));

    // The outer task was interrupted when its own code ran again: it never reached
    // its end (this call waits for the one worker, so it sees the outer task's fate).
    let done = pime::call(task("outer_done", &[])).await.unwrap();
    assert_eq!(done, Some(Value::Bool(false)));
    engine.stop().await.unwrap();
}
