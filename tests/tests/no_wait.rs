//! Fire-and-forget tasks: `call` returns `Ok(None)` at once and the broker still runs.

use std::time::Duration;

use pime::Value;
use pime_tests::{call_ok, s, start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_tasks_run_without_a_reply() {
    let engine = start("testmod", 2, 4).await;
    for i in 0..100 {
        let mut record = task("record", &[("tag", Value::I64(i))]);
        record.no_wait();
        assert_eq!(pime::call(record).await, Ok(None));
    }
    // A no_wait task that raises only logs; the caller already has Ok(None).
    let mut failing = task(
        "raise",
        &[("kind", s("ValueError")), ("message", s("ignored"))],
    );
    failing.no_wait();
    assert_eq!(pime::call(failing).await, Ok(None));
    // A no_wait call returns before the broker finishes its work.
    let mut slow = task(
        "sleep_then_record",
        &[("seconds", Value::F64(0.3)), ("tag", s("slow"))],
    );
    slow.no_wait();
    let returned = tokio::time::timeout(Duration::from_millis(200), pime::call(slow)).await;
    assert_eq!(returned, Ok(Ok(None)));

    let recorded = call_ok(
        "wait_records",
        &[("count", Value::I64(101)), ("timeout", Value::F64(10.0))],
    )
    .await;
    assert_eq!(recorded, Value::I64(101));
    let Value::Seq(records) = call_ok("records", &[]).await else {
        panic!("records is a list")
    };
    assert_eq!(records.last(), Some(&s("slow")));
    engine.stop().await.unwrap();
}
