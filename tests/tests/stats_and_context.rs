//! `pime::stats()` counts what the engine did, per command too; a task's context
//! values reach `pime.context()` in the broker, isolated between concurrent tasks.

use pime::Value;
use pime_tests::{map_of, s, start_with, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_and_context_is_per_task() {
    let engine = start_with("asyncmod", |b| b.thread_pool(4, 4).command_stats()).await;
    let before = pime::stats();

    // 50 concurrent tasks, sync and async, each with its own request id.
    let calls: Vec<_> = (0..50i64)
        .map(|i| {
            let mut whoami = if i % 2 == 0 {
                task("whoami", &[])
            } else {
                task("whoami_async", &[("seconds", Value::F64(0.05))])
            };
            whoami.set_context("request_id", Value::I64(i));
            tokio::spawn(pime::call(whoami))
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let seen = call.await.unwrap().unwrap().unwrap();
        assert_eq!(seen, map_of(vec![(s("request_id"), Value::I64(i as i64))]));
    }
    // Without context, the broker sees an empty one.
    let empty = pime::call(task("whoami", &[])).await.unwrap().unwrap();
    assert_eq!(empty, Value::Map(Default::default()));
    let _ = pime::call(task("fail_and_keep", &[])).await;

    let after = pime::stats();
    assert_eq!(after.submitted - before.submitted, 52);
    assert_eq!(after.completed - before.completed, 51);
    assert_eq!(after.failed - before.failed, 1);
    assert_eq!(after.queued, 0);
    assert_eq!(after.commands["whoami"].calls, 26);
    assert_eq!(after.commands["whoami_async"].calls, 25);
    assert!(after.commands["whoami_async"].mean() >= std::time::Duration::from_millis(50));
    assert_eq!(after.commands["fail_and_keep"].errors, 1);

    let text = pime::stats_prometheus();
    assert!(
        text.contains("# TYPE pime_tasks_submitted_total counter"),
        "{text}"
    );
    assert!(
        text.contains("pime_command_calls_total{command=\"whoami\"} 26"),
        "{text}"
    );
    engine.stop().await.unwrap();
}
