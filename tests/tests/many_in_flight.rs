//! 20,000 calls in flight at once: every caller gets its own answer.

use pime::Value;
use pime_tests::{start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_calls_in_flight() {
    let engine = start("testmod", 4, 8).await;
    let calls: Vec<_> = (0..20_000i64)
        .map(|i| {
            let mut echo = task("echo", &[("value", Value::I64(i))]);
            if i % 10 == 0 {
                echo.mark_exclusive();
            }
            tokio::spawn(pime::call(echo))
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap(), Ok(Some(Value::I64(i as i64))));
    }
    engine.stop().await.unwrap();
}
