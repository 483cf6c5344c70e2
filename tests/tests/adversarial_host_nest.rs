//! Adversarial: nesting through host functions on `.thread_pool(1, 1)` / `(2, 2)`.
//!
//! README, "Host modules": "A pool worker waiting in a sync host call lends its place
//! in the pool: while it waits, another worker may start beyond `max` ... so nested
//! calls complete on `.thread_pool(1, 1)`, at any depth. The waiting thread runs
//! nothing else meanwhile".

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::host_support::nest_app::{self, call, expected};
use pime_tests::host_support::{bounded, open_gate};
use pime_tests::s;

/// 10 levels deep, sync / async / alternating, on a pool of one; then 16 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_and_wide_nesting_on_a_pool_of_one() {
    let engine =
        nest_app::start(|b| b.thread_pool(1, 1).stop_timeout(Duration::from_secs(5))).await;

    for (command, mode) in [
        ("nested", "sync"),
        ("nested_async", "async"),
        ("nested", "alt"),
    ] {
        let depth = 10;
        let got = call(command, &[("depth", Value::U32(depth)), ("mode", s(mode))]).await;
        assert_eq!(got, Ok(Some(expected(depth))), "{command} {mode}");
    }

    // 16 concurrent 10-deep sync chains on one worker.
    let started = Instant::now();
    let many: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn(async {
                call("nested", &[("depth", Value::U32(10)), ("mode", s("sync"))]).await
            })
        })
        .collect();
    for handle in many {
        assert_eq!(handle.await.unwrap(), Ok(Some(expected(10))));
    }
    eprintln!("16 x 10-deep sync chains: {:?}", started.elapsed());

    // Mixed: 8 alternating + 8 async at once.
    let many: Vec<_> = (0..16)
        .map(|i| {
            tokio::spawn(async move {
                let (c, m) = if i % 2 == 0 {
                    ("nested", "alt")
                } else {
                    ("nested_async", "async")
                };
                call(c, &[("depth", Value::U32(10)), ("mode", s(m))]).await
            })
        })
        .collect();
    for handle in many {
        assert_eq!(handle.await.unwrap(), Ok(Some(expected(10))));
    }

    // An async command whose aio host call needs the pool while its only worker is
    // busy in a sync host call (gate "busy") - the nested task must still run
    // (served by the waiting worker), not wait for the gate.
    let busy = tokio::spawn(async { call("hold", &[("gate", s("busy"))]).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let nested = call("aio_nested_while_busy", &[("depth", Value::U32(3))]).await;
    assert_eq!(nested, Ok(Some(expected(4))));
    open_gate("busy");
    assert_eq!(
        bounded("hold", 20, busy).await.unwrap(),
        Ok(Some(s("held")))
    );

    let stats = pime::stats();
    assert_eq!((stats.in_flight, stats.queued), (0, 0), "{stats:?}");
    bounded("stop", 20, engine.stop()).await.unwrap();
}
