//! Regression: coroutines count against the engine's bound on tasks.
//!
//! An `async def` command frees its worker thread as soon as it returned its
//! coroutine; only the pool's queue was bounded, so `no_wait` calls of a command that
//! awaits `asyncio.sleep(60)` were admitted as fast as the workers could start them,
//! and 200,000 of them piled up on the event loop (resident memory grew by about
//! 900 MiB). Now every task holds its place under one bound — queue capacity plus the
//! pool's max workers, 64 + 2 = 66 here — from before it is queued until it has ended,
//! coroutines included, so the 67th caller waits.
//!
//! Four tasks try to send 200,000 such calls in total for about 3 s (each send bounded
//! by `tokio::time::timeout`): exactly 66 are admitted, the gauges show at most 66
//! tasks queued or running, and resident memory grows by less than 64 MiB. The
//! coroutines never finish by themselves, so the engine has a 500 ms stop timeout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{assert_still_serving, resident_mib, start_with, task, within};

const QUEUE_CAPACITY: usize = 64;
const MAX_WORKERS: u32 = 2;
const BOUND: usize = QUEUE_CAPACITY + MAX_WORKERS as usize;
const CALLS: usize = 200_000;
const SENDERS: usize = 4;
const SEND_FOR: Duration = Duration::from_secs(3);
const STOP_TIMEOUT: Duration = Duration::from_millis(500);
const GROWTH_BOUND_MIB: f64 = 64.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_no_wait_calls_wait_for_room() {
    let engine = within(
        30,
        "start",
        start_with("defect_async", |builder| {
            builder
                .queue_capacity(QUEUE_CAPACITY)
                .thread_pool(1, MAX_WORKERS)
                .stop_timeout(STOP_TIMEOUT)
        }),
    )
    .await;
    // Warm up (the event loop starts with the first coroutine).
    for _ in 0..50 {
        let nap = task("nap", &[("seconds", Value::F64(0.0))]);
        assert_eq!(within(10, "a short nap", pime::call(nap)).await, Ok(None));
    }
    assert_still_serving().await;
    let baseline = resident_mib();
    let submitted_before = pime::stats().submitted;

    let admitted = Arc::new(AtomicUsize::new(0));
    let attempted = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + SEND_FOR;
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let admitted = Arc::clone(&admitted);
            let attempted = Arc::clone(&attempted);
            tokio::spawn(async move {
                while attempted.fetch_add(1, Ordering::Relaxed) < CALLS {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    let mut nap = task("nap", &[("seconds", Value::F64(60.0))]);
                    nap.no_wait();
                    match tokio::time::timeout(left, pime::call(nap)).await {
                        Ok(outcome) => {
                            assert_eq!(outcome, Ok(None), "a no_wait call");
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                        // Waited for room until the end: the bound holds.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    for sender in senders {
        within(30, "a sender", sender).await.unwrap();
    }
    let stats = pime::stats();
    let growth = resident_mib() - baseline;
    let admitted = admitted.load(Ordering::Relaxed);
    eprintln!(
        "async_no_wait_flood: {admitted} admitted of {} attempted in {SEND_FOR:?}; \
         in flight {}, queued {}; resident memory +{growth:.1} MiB",
        attempted.load(Ordering::Relaxed).min(CALLS),
        stats.in_flight,
        stats.queued
    );
    assert!(
        stats.in_flight + stats.queued <= BOUND as u64,
        "{} running and {} queued, over the bound of {BOUND}",
        stats.in_flight,
        stats.queued
    );
    assert_eq!(
        admitted, BOUND,
        "the bound is queue capacity + max workers, coroutines included"
    );
    assert_eq!(
        stats.submitted - submitted_before,
        BOUND as u64,
        "{stats:?}"
    );
    assert!(
        growth < GROWTH_BOUND_MIB,
        "resident memory grew by {growth:.1} MiB (bound {GROWTH_BOUND_MIB} MiB)"
    );

    let stopping = Instant::now();
    within(30, "stop with sleeping coroutines", engine.stop())
        .await
        .expect("stop returns Ok after its timeout");
    eprintln!("async_no_wait_flood: stop took {:?}", stopping.elapsed());
    assert!(!pime::is_engine_started());
}
