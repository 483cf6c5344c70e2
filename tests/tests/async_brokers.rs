//! Async commands run on the engine's event loop: 1,000 `asyncio.sleep(0.5)` calls
//! on a pool of 4 threads finish in about the time of one, side by side with sync ones;
//! a dropped caller cancels its coroutine.

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{call_ok, s, start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_async_calls_run_concurrently() {
    let engine = start("asyncmod", 4, 4).await;
    let started = Instant::now();
    let naps: Vec<_> = (0..1_000i64)
        .map(|i| {
            tokio::spawn(pime::call(task(
                "nap",
                &[("seconds", Value::F64(0.5)), ("tag", Value::I64(i))],
            )))
        })
        .collect();
    // A sync command still answers while the naps are pending.
    assert_eq!(
        call_ok("sync_echo", &[("value", s("sync"))]).await,
        s("sync")
    );
    for (i, nap) in naps.into_iter().enumerate() {
        assert_eq!(nap.await.unwrap(), Ok(Some(Value::I64(i as i64))));
    }
    let elapsed = started.elapsed();
    // On 4 threads one after another they would take 125 s; loose bound, the bench measures.
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");

    // Dropping the Rust future cancels the Python task: the coroutine sees CancelledError.
    let long_nap = [("seconds", Value::F64(60.0)), ("tag", s("dropped"))];
    let gave_up = tokio::time::timeout(
        Duration::from_millis(200),
        pime::call(task("nap", &long_nap)),
    )
    .await;
    assert!(gave_up.is_err());
    let wait = [("tag", s("dropped")), ("timeout", Value::F64(10.0))];
    assert_eq!(
        call_ok("wait_cancelled", &wait).await,
        Value::Seq(vec![s("dropped")])
    );

    // An exception inside an async command reaches the caller.
    let error = pime::call(task("nap", &[("seconds", s("not a number"))]))
        .await
        .unwrap_err();
    assert_eq!(error.exception.as_deref(), Some("TypeError"));
    engine.stop().await.unwrap();
}
