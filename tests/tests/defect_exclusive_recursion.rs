//! Regression: exclusive tasks run on the `pime-engine` thread, which now gets the
//! same 8 MiB stack as the pool workers.
//!
//! The broker recurses 4,000 levels through `functools.lru_cache` (with
//! `sys.setrecursionlimit(20000)`); the cache's C wrapper adds C stack frames at every
//! level, so this overflows a 2 MiB stack (measured with `/usr/bin/python3` 3.11: a
//! segfault with `threading.stack_size(2 MiB)`, fine with 4 MiB and 8 MiB). The engine
//! thread used to be spawned with Rust's default 2 MiB stack, so the exclusive call
//! killed the process with a segfault while the same call pooled succeeded. Both now
//! return the depth, and the engine still serves.
//!
//! From CPython 3.12 a C recursion limit of its own stops such a recursion with a
//! `RecursionError` whatever `sys.setrecursionlimit` says: there the exclusive call
//! must end exactly as the pooled one does, and the engine still serve.

use pime::Value;
use pime_tests::{assert_still_serving, start_with, task, within};

const DEPTH: i64 = 4_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_python_recursion_succeeds_exclusive_and_pooled() {
    let engine = within(
        30,
        "start",
        start_with("defect_broker", |builder| builder.thread_pool(1, 2)),
    )
    .await;
    let before_312 = pyo3::Python::attach(|py| py.version_info() < (3, 12));
    let mut outcomes = Vec::new();
    for exclusive in [false, true] {
        let mut recurse = task("recurse", &[("depth", Value::I64(DEPTH))]);
        if exclusive {
            recurse.mark_exclusive();
        }
        let outcome = within(60, "recursion", pime::call(recurse)).await;
        if before_312 {
            assert_eq!(
                outcome,
                Ok(Some(Value::I64(DEPTH))),
                "exclusive: {exclusive}"
            );
        }
        outcomes.push(outcome.map_err(|e| (e.kind, e.exception)));
        assert_still_serving().await;
    }
    assert_eq!(outcomes[0], outcomes[1], "exclusive ends as pooled does");
    within(30, "stop", engine.stop()).await.unwrap();
}
