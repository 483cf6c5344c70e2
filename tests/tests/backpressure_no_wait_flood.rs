//! Backpressure: 200,000 `no_wait` tasks flooded at a broker that cannot keep up keep
//! resident memory bounded, because `pime::call` waits for room once the pool's
//! queue is full and every worker holds a task; and every one of them still runs.
//!
//! The broker is as slow as a broker can be at first: every `flood` task waits behind
//! a gate the test keeps shut until the producer has filled everything there is to
//! fill (then the producer must be stuck at exactly the documented bound). Once the
//! gate opens, the producer (a Rust loop sending as fast as a channel allows) still
//! outruns Python, so the queue stays full until the end.

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{
    peak_resident_mib, reset_peak_resident, resident_mib, start_with, task, with_python, within,
};
use pyo3::prelude::*;
use tokio::sync::watch;

const TASKS: usize = 200_000;
const QUEUE_CAPACITY: usize = 256;
const WORKERS: u32 = 4;
/// Each task carries a string this long, so an unbounded pile-up shows in memory.
const PAD_BYTES: usize = 1024;

/// The bound on how much resident memory may grow above the baseline (taken after
/// start-up and a warm-up) at any moment of the flood.
///
/// With backpressure, at most `QUEUE_CAPACITY` tasks wait in the pool's queue and
/// `WORKERS` are held by the workers: 260 tasks. Each held task costs at most about
/// 3 KiB (the 1 KiB pad as a Rust `String` and, once a worker took it, again as a
/// Python `str`, with the params dict and the job; measured with the former
/// `ThreadPoolExecutor` pool: with the queue capacity raised to 60,000, 120,005 held
/// tasks grew memory by 367 MiB), so under 1 MiB; 16 MiB leaves room for allocator arenas and thread
/// stacks touched on the way. Without backpressure the 200,000 tasks would hold about
/// 600 MiB (the pads alone 195 MiB), twelve to forty times this bound.
const GROWTH_BOUND_MIB: f64 = 16.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_flood_keeps_memory_bounded() {
    let engine = within(
        30,
        "start",
        start_with("flood_broker", |builder| {
            builder
                .thread_pool(WORKERS, WORKERS)
                .queue_capacity(QUEUE_CAPACITY)
        }),
    )
    .await;
    for _ in 0..2_000 {
        let pong = within(10, "ping", pime::call(task("ping", &[]))).await;
        assert_eq!(pong, Ok(Some(Value::String("pong".into()))));
    }
    let baseline = resident_mib();
    reset_peak_resident();

    let (sent_sender, mut sent) = watch::channel(0usize);
    let producer = tokio::spawn(async move {
        let pad = "x".repeat(PAD_BYTES);
        for i in 0..TASKS {
            let mut flood = task("flood", &[("pad", Value::String(pad.clone()))]);
            flood.no_wait();
            assert_eq!(pime::call(flood).await, Ok(None), "no_wait task {i}");
            sent_sender.send_replace(i + 1);
        }
    });

    // The gate is shut, so nothing finishes: each worker holds one task, the pool's
    // queue fills, and then the producer must wait.
    let held = QUEUE_CAPACITY + WORKERS as usize;
    drop(
        within(30, "filling the queue", sent.wait_for(|&n| n >= held))
            .await
            .expect("the producer is alive"),
    );
    // An assertion window, not synchronisation: the producer must not get further.
    let got_further =
        tokio::time::timeout(Duration::from_millis(500), sent.wait_for(|&n| n > held))
            .await
            .map(|now| *now.expect("the producer is alive"));
    assert!(
        got_further.is_err(),
        "the producer sent {} tasks while only {held} fit",
        *sent.borrow()
    );
    assert_eq!(*sent.borrow(), held);
    let full = resident_mib();

    with_python(|py| {
        py.import("flood_broker")
            .and_then(|module| module.call_method0("release"))
            .map(drop)
    })
    .await
    .expect("the gate opens");
    let opened = Instant::now();
    within(120, "the producer", producer)
        .await
        .expect("every no_wait call returned Ok(None)");
    let mut wait_count = task(
        "wait_count",
        &[
            ("count", Value::U64(TASKS as u64)),
            ("timeout", Value::F64(120.0)),
        ],
    );
    // Exclusive, so it runs on the engine thread (not behind the flood in the pool's
    // queue), and waits on a Condition in Python until the last one counted itself.
    wait_count.mark_exclusive();
    let counted = within(130, "all flood tasks run", pime::call(wait_count)).await;
    let drained_in = opened.elapsed();
    let peak = peak_resident_mib();
    let end = resident_mib();
    assert_eq!(
        counted,
        Ok(Some(Value::Seq(vec![
            Value::I64(TASKS as i64),
            Value::I64((TASKS * PAD_BYTES) as i64),
        ]))),
        "every task ran exactly once with its whole pad"
    );

    eprintln!(
        "backpressure: baseline {baseline:.1} MiB, queue full {full:.1} MiB, peak {peak:.1} MiB \
         (+{:.1} MiB, bound +{GROWTH_BOUND_MIB} MiB), end {end:.1} MiB; \
         {TASKS} tasks drained in {drained_in:.2?} ({:.0} tasks/s)",
        peak - baseline,
        TASKS as f64 / drained_in.as_secs_f64(),
    );
    assert!(
        peak - baseline < GROWTH_BOUND_MIB,
        "resident memory grew by {:.1} MiB (baseline {baseline:.1} MiB, peak {peak:.1} MiB), \
         over the bound of {GROWTH_BOUND_MIB} MiB",
        peak - baseline
    );
    within(30, "stop", engine.stop()).await.unwrap();
}
