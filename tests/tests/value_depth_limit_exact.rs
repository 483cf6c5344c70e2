//! `pime::MAX_DEPTH` is "the deepest nesting of lists and dicts that crosses the
//! boundary, either way": Python -> Rust accepts `MAX_DEPTH` nested lists around an
//! int, so Rust -> Python must accept the very same value (an echo of a Python result
//! must be sendable back), and refuse one more level.

use pime::{ErrorKind, Value, MAX_DEPTH};
use pime_tests::{echo_outcome, nested_dicts, nested_lists, s, start, task, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_depth_crosses_both_ways() {
    let engine = within(30, "start", start("values_broker", 1, 2)).await;
    let from_python = within(
        10,
        "nested_lists",
        pime::call(task(
            "nested_lists",
            &[
                ("depth", Value::U64(MAX_DEPTH as u64)),
                ("leaf", Value::I64(7)),
            ],
        )),
    )
    .await
    .expect("Python -> Rust takes MAX_DEPTH lists")
    .expect("a list");
    assert_eq!(from_python, nested_lists(MAX_DEPTH, Value::I64(7)));
    assert_eq!(
        echo_outcome(from_python.clone()).await,
        Ok(Some(from_python)),
        "a Python result at the limit goes back to Python"
    );
    for nest in [nested_lists as fn(usize, Value) -> Value, nested_dicts] {
        let at_limit = nest(MAX_DEPTH, s("leaf"));
        assert_eq!(echo_outcome(at_limit.clone()).await, Ok(Some(at_limit)));
        let past = echo_outcome(nest(MAX_DEPTH + 1, s("leaf")))
            .await
            .unwrap_err();
        assert_eq!(past.kind, ErrorKind::PackError, "{past}");
    }
    within(30, "stop", engine.stop()).await.unwrap();
}
