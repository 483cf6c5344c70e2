//! The depth limit `pime::MAX_DEPTH` holds both ways without ever overflowing a stack:
//! Python results nested up to `MAX_DEPTH` lists cross and deeper ones (up to 10,000
//! levels) are an `UnpackError` naming the limit; Rust params nested up to just under
//! it cross and deeper ones (up to 1,000 levels of lists or dicts) are a `PackError`
//! naming the limit; the engine keeps serving.
//!
//! The exact boundary (`MAX_DEPTH` nested lists holding a value, Rust -> Python) and
//! far deeper Rust params are in `value_depth_limit_exact.rs` and
//! `deep_params_drop.rs`.

use pime::{ErrorKind, Value, MAX_DEPTH};
use pime_tests::{
    assert_still_serving, echo_outcome, nested_dicts, nested_lists, s, start, task, within,
};

async fn built_by_python(depth: usize) -> pime::Result<Option<Value>> {
    let build = task(
        "nested_lists",
        &[("depth", Value::U64(depth as u64)), ("leaf", Value::I64(7))],
    );
    within(10, "nested_lists", pime::call(build)).await
}

fn assert_too_deep(outcome: pime::Result<Option<Value>>, kind: ErrorKind, what: &str) {
    let error = outcome.expect_err(what);
    assert_eq!(error.kind, kind, "{what}: {error}");
    assert!(
        error
            .message
            .contains(&format!("nesting deeper than {MAX_DEPTH} levels")),
        "{what}: {}",
        error.message
    );
    assert!(
        error.message.len() < 4096,
        "{what}: a {} byte message",
        error.message.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_limit_holds_both_ways() {
    let engine = within(30, "start", start("values_broker", 1, 2)).await;

    // Python -> Rust.
    assert_eq!(
        built_by_python(MAX_DEPTH).await,
        Ok(Some(nested_lists(MAX_DEPTH, Value::I64(7))))
    );
    for depth in [MAX_DEPTH + 1, 1_000, 10_000] {
        let deep = built_by_python(depth).await;
        assert_too_deep(
            deep,
            ErrorKind::UnpackError,
            &format!("{depth} lists from Python"),
        );
    }

    // Rust -> Python -> Rust.
    for (kind, nest) in [
        ("lists", nested_lists as fn(usize, Value) -> Value),
        ("dicts", nested_dicts),
    ] {
        for leaf in [Value::I64(7), s("leaf")] {
            let below = nest(MAX_DEPTH - 1, leaf.clone());
            assert_eq!(
                echo_outcome(below.clone()).await,
                Ok(Some(below)),
                "{} nested {kind} around {leaf:?}",
                MAX_DEPTH - 1
            );
            for depth in [MAX_DEPTH + 1, 1_000] {
                let past = echo_outcome(nest(depth, leaf.clone())).await;
                assert_too_deep(past, ErrorKind::PackError, &format!("{depth} {kind}"));
            }
        }
    }
    assert_still_serving().await;
    within(30, "stop", engine.stop()).await.unwrap();
}
