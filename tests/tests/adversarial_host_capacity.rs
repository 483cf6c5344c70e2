//! Adversarial: nested calls through the host against the admission bound. README,
//! "Bounded memory": "every task of every kind holds one place under a single bound
//! (queue capacity + max workers) from before it is queued until it ends, so callers
//! wait for room". Host modules: "nested calls complete on `.thread_pool(1, 1)`, at
//! any depth." A nested task waits for room that only its waiting ancestors can free:
//! (A) one chain deeper than capacity + max workers; (B) a burst of more concurrent
//! outer calls than the bound, each nesting only once (sync and async). Capacity 16.

use std::time::Duration;

use pime::Value;
use pime_tests::host_support::nest_app::{self, expected};
use pime_tests::host_support::{answer, bounded};
use pime_tests::{s, task};

async fn relaunch() -> pime::Engine {
    nest_app::start(|b| {
        b.thread_pool(1, 1)
            .queue_capacity(16)
            .stop_timeout(Duration::from_secs(2))
    })
    .await
}

async fn outcome(
    what: &str,
    handles: Vec<tokio::task::JoinHandle<pime::Result<Option<Value>>>>,
    want: Value,
) -> Option<String> {
    let n = handles.len();
    let all = answer(15, async {
        let mut ok = 0;
        let mut errors = Vec::new();
        for h in handles {
            match h.await.unwrap() {
                Ok(Some(v)) if v == want => ok += 1,
                other => errors.push(format!("{other:?}")),
            }
        }
        (ok, errors)
    })
    .await;
    match all {
        Err(_) => Some(format!(
            "{what}: HANG - not all {n} calls answered within 15 s"
        )),
        Ok((ok, _)) if ok == n => {
            eprintln!("{what}: all {n} ok");
            None
        }
        Ok((ok, errors)) => Some(format!(
            "{what}: {ok} of {n} ok; first error: {:?}",
            errors.first()
        )),
    }
}

/// One call of a scenario: command, mode, depth.
type Call = (&'static str, &'static str, u32);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_calls_against_the_admission_bound() {
    let mut problems = Vec::new();
    let mut engine = relaunch().await;
    // (command, mode, depth) of each concurrent call, per scenario.
    let scenarios: Vec<(String, Vec<Call>)> = vec![
        // Control: 16 tasks in all (depth 15 + the outer call) fit under 16 + 1.
        (
            "(control) one sync chain 15 deep: 16 tasks, bound 17".into(),
            vec![("nested", "sync", 15)],
        ),
        (
            "(control) 8 concurrent sync calls nesting once: 16 tasks, bound 17".into(),
            vec![("nested", "sync", 1); 8],
        ),
        (
            "(A) one sync chain 17 deep: 18 tasks, bound 17".into(),
            vec![("nested", "sync", 17)],
        ),
        (
            "(A) one sync chain 30 deep, bound 17".into(),
            vec![("nested", "sync", 30)],
        ),
        (
            "(A) one async chain 30 deep, bound 17".into(),
            vec![("nested_async", "async", 30)],
        ),
        (
            "(B) 40 concurrent sync calls nesting once, bound 17".into(),
            vec![("nested", "sync", 2); 40],
        ),
        (
            "(B) 40 concurrent async calls nesting once, bound 17".into(),
            vec![("nested_async", "async", 2); 40],
        ),
    ];
    for (what, calls) in scenarios {
        let want = expected(calls[0].2);
        let handles = calls
            .iter()
            .map(|&(c, m, d)| {
                tokio::spawn(pime::call(task(
                    c,
                    &[("depth", Value::U32(d)), ("mode", s(m))],
                )))
            })
            .collect();
        if let Some(problem) = outcome(&what, handles, want).await {
            problems.push(problem);
            let stopped = answer(10, engine.stop()).await;
            assert!(stopped.is_ok(), "stop with a stop timeout returns");
            engine = relaunch().await;
        }
    }
    bounded("stop", 10, engine.stop()).await.ok();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
