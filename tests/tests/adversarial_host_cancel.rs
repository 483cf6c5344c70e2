//! Adversarial: cancelling `aio` host calls - by dropping the Rust caller, 10,000
//! times in a loop, before the loop ever ran them, by `asyncio.wait_for`, by never
//! awaiting the awaitable - and a host future that panics while it is dropped.
//!
//! README: "an `aio` call spawns it and gives the event loop an awaitable, and
//! cancelling the awaitable drops the Rust future." Async commands: "Dropping the Rust
//! future cancels the asyncio task".

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::host_support::stop_app::{self, DROPPED, STARTED};
use pime_tests::host_support::{bounded, call_within, poll_until};
use pime_tests::{s, task};

/// How many host futures were dropped once `expected_dropped` were, or 5 s passed.
async fn settle(expected_dropped: usize) -> usize {
    poll_until(5, || DROPPED.load(Ordering::SeqCst) >= expected_dropped).await;
    DROPPED.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_aio_host_calls() {
    let engine = stop_app::start((1, 1), 3, "v").await;
    let mut problems = Vec::new();

    // 1. Dropping the Rust caller of an async command awaiting an aio host call.
    let caller = tokio::spawn(pime::call(task("forever_async", &[])));
    assert!(
        poll_until(5, || STARTED.load(Ordering::SeqCst) >= 1).await,
        "forever started"
    );
    caller.abort();
    let dropped = settle(1).await;
    if dropped != 1 {
        problems.push(format!(
            "dropped Rust caller: host future dropped {dropped} of 1"
        ));
    }

    // 2. 10,000 cancels after one loop turn; memory and drops.
    let warm = call_within(60, "cancel_many", &[("n", Value::U64(1000))]).await;
    assert_eq!(warm, Ok(Some(Value::I64(1000))));
    let before_started = STARTED.load(Ordering::SeqCst);
    let before_mib = pime_tests::resident_mib();
    let started = Instant::now();
    let many = call_within(120, "cancel_many", &[("n", Value::U64(10_000))]).await;
    eprintln!("10,000 cancels: {:?}", started.elapsed());
    assert_eq!(many, Ok(Some(Value::I64(10_000))));
    let total_started = STARTED.load(Ordering::SeqCst);
    let dropped = settle(total_started).await;
    let grew = pime_tests::resident_mib() - before_mib;
    eprintln!(
        "started {} (this round {}), dropped {dropped}, resident +{grew:.1} MiB",
        total_started,
        total_started - before_started
    );
    if dropped != total_started {
        problems.push(format!(
            "cancel_many: {total_started} host futures started, {dropped} dropped"
        ));
    }
    if grew > 8.0 {
        problems.push(format!(
            "cancel_many: resident memory grew {grew:.1} MiB over 10,000 cancels"
        ));
    }

    // 3. Cancelled before the loop ran them.
    let before = call_within(60, "cancel_before_start", &[("n", Value::U64(1000))]).await;
    assert_eq!(before, Ok(Some(Value::I64(1000))));
    let started_now = STARTED.load(Ordering::SeqCst);
    let dropped = settle(started_now).await;
    if dropped != started_now {
        problems.push(format!(
            "cancel_before_start: started {started_now}, dropped {dropped}"
        ));
    }

    // 4. asyncio.wait_for timeout.
    let timed = call_within(10, "timeout_aio", &[]).await;
    if timed != Ok(Some(s("timed out"))) {
        problems.push(format!("timeout_aio: {timed:?}"));
    }
    let started_now = STARTED.load(Ordering::SeqCst);
    let dropped = settle(started_now).await;
    if dropped != started_now {
        problems.push(format!(
            "wait_for: started {started_now}, dropped {dropped}"
        ));
    }

    // 5. Awaitables created and never awaited (garbage).
    let made = call_within(10, "aio_not_awaited", &[("n", Value::U64(100))]).await;
    assert_eq!(made, Ok(Some(Value::I64(100))));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started_now = STARTED.load(Ordering::SeqCst);
    let dropped = settle(started_now).await;
    eprintln!("never awaited: started {started_now}, dropped {dropped}");
    if dropped != started_now {
        problems.push(format!(
            "100 aio awaitables never awaited: {} host futures still running",
            started_now - dropped
        ));
    }

    // 6. A host future that panics while it is dropped by a cancel.
    let panicked = call_within(10, "panic_in_drop", &[]).await;
    eprintln!("panic_in_drop: {panicked:?}");
    if panicked != Ok(Some(s("cancelled"))) {
        problems.push(format!("panic_in_drop: {panicked:?}"));
    }
    let alive = call_within(10, "quick", &[]).await;
    assert_eq!(alive, Ok(Some(s("v"))), "the engine still serves");

    let stats = pime::stats();
    if (stats.in_flight, stats.queued) != (0, 0) {
        problems.push(format!("stats after all: {stats:?}"));
    }
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
