//! `pime::MAX_DEPTH` is "the deepest nesting of lists and dicts that crosses the
//! boundary, either way": Python -> Rust accepts `MAX_DEPTH` nested lists around an
//! int, so Rust -> Python must accept the very same value (an echo of a Python result
//! must be sendable back), and refuse one more level.

use std::collections::BTreeMap;

use pime::{ErrorKind, PyTask, Value, MAX_DEPTH};
use pime_tests::{s, start, task, within};

fn nested_lists(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |inner, _| Value::Seq(vec![inner]))
}

fn nested_dicts(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |inner, _| {
        Value::Map(BTreeMap::from([(s("k"), inner)]))
    })
}

async fn echo(value: Value) -> pime::Result<Option<Value>> {
    let params = BTreeMap::from([("value".to_string(), value)]);
    within(10, "echo", pime::call(PyTask::new(s("echo"), params))).await
}

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
        echo(from_python.clone()).await,
        Ok(Some(from_python)),
        "a Python result at the limit goes back to Python"
    );
    for nest in [nested_lists as fn(usize, Value) -> Value, nested_dicts] {
        let at_limit = nest(MAX_DEPTH, s("leaf"));
        assert_eq!(echo(at_limit.clone()).await, Ok(Some(at_limit)));
        let past = echo(nest(MAX_DEPTH + 1, s("leaf"))).await.unwrap_err();
        assert_eq!(past.kind, ErrorKind::PackError, "{past}");
    }
    within(30, "stop", engine.stop()).await.unwrap();
}
