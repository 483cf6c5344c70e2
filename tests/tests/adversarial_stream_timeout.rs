//! `PyTask::set_timeout` on a `call_stream` task. README: "slow.set_timeout(2 s) //
//! Err(ErrorKind::Timeout) after 2 s, waiting for room included"; call_stream refuses
//! what it cannot honour (exclusive tasks: ExecError). So a stream task with a timeout
//! must either be refused, or end with a Timeout error once its timeout passed —
//! not run on silently past it (nor, with interrupt_on_deadline, hang in a busy
//! generator forever).

use std::time::{Duration, Instant};

use pime::{ErrorKind, Value};
use pime_tests::{s, task, within};

/// None: the timeout was honoured (refused, or a Timeout error came); Some: what happened.
async fn run(t: pime::PyTask, what: &str) -> Option<String> {
    let started = Instant::now();
    let mut stream = match within(10, what, pime::call_stream(t)).await {
        Ok(stream) => stream,
        Err(e) => {
            eprintln!("{what}: refused: {e}");
            return None;
        }
    };
    let mut items = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
            Err(_) => {
                return Some(format!(
                    "{what}: next() still pending 5 s later, after {items:?} ({:?} in)",
                    started.elapsed()
                ))
            }
            Ok(None) => {
                return Some(format!(
                    "{what}: ended without an error after {:?}: {items:?}",
                    started.elapsed()
                ))
            }
            Ok(Some(Ok(item))) => items.push(item),
            Ok(Some(Err(e))) if e.kind == ErrorKind::Timeout => {
                eprintln!(
                    "{what}: Timeout after {:?} and {items:?}",
                    started.elapsed()
                );
                return None;
            }
            Ok(Some(Err(e))) => {
                return Some(format!("{what}: error {:?} {e} after {items:?}", e.kind))
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_timeouts_are_honoured() {
    let engine = within(
        30,
        "start",
        pime_tests::start_with("adversarial_broker", |b| {
            b.thread_pool(1, 2).interrupt_on_deadline(true)
        }),
    )
    .await;
    let mut slow = task("gen", &[("n", Value::I64(10)), ("delay", Value::F64(0.1))]);
    slow.set_timeout(Duration::from_millis(200));
    let mut busy = task("gen_busy", &[("tag", s("gb"))]);
    busy.set_timeout(Duration::from_millis(200));
    let failures: Vec<String> = [
        run(slow, "a 1 s generator with a 200 ms timeout").await,
        run(busy, "a busy generator with a 200 ms timeout").await,
    ]
    .into_iter()
    .flatten()
    .collect();
    let _ = tokio::time::timeout(Duration::from_secs(5), engine.stop()).await;
    assert!(failures.is_empty(), "{failures:#?}");
}
