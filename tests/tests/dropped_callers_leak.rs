//! Thousands of callers that drop their futures at random moments leak no Python objects.

use std::time::Duration;

use pime::Value;
use pime_tests::{call_ok, s, start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_callers_leak_nothing() {
    let engine = start("testmod", 2, 2).await;
    let count = |v: Value| match v {
        Value::I64(n) => n,
        other => panic!("{other:?}"),
    };
    // Warm up, then measure the number of live Python objects around 5,000 drops.
    for _ in 0..200 {
        let _ = tokio::time::timeout(
            Duration::ZERO,
            pime::call(task("echo", &[("value", s("x"))])),
        )
        .await;
    }
    let before = count(call_ok("object_count", &[]).await);
    for i in 0..5_000 {
        let payload = Value::Seq(vec![Value::I64(i); 20]);
        let call = pime::call(task("echo", &[("value", payload)]));
        let _ = tokio::time::timeout(Duration::from_micros((i % 50) as u64), call).await;
    }
    let after = count(call_ok("object_count", &[]).await);
    assert!(
        after - before < 500,
        "live Python objects grew from {before} to {after}"
    );
    engine.stop().await.unwrap();
}
