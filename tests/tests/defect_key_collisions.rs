//! Regression: map keys that are distinct on one side and equal on the other are an
//! error, never a silent merge.
//!
//! * Rust → Python: a `Value::Map` with the keys `I64(1)`, `Bool(true)` and
//!   `F64(1.0)` (three keys in Rust, one dict key in Python) used to arrive as a dict
//!   of one entry, two values lost. Now it is a `PackError` saying nothing was merged
//!   and naming the key.
//! * Python → Rust: `{float('nan'): 1, float('nan'): 2}` (two keys in Python, one
//!   `F64(NaN)` key in Rust, whose ordering makes NaN equal to itself) and
//!   `{b"a": 1, memoryview(b"a").cast("c"): 2}` (two keys in Python: the 'c' view
//!   compares unequal to the bytes, with an equal hash; both become `Bytes(b"a")`)
//!   used to come back as one entry. Now they are an `UnpackError`.
//! * Keys distinct on both sides cross fine: `I64(1)` and `String("1")`.
//!
//! Note: `{b"a": 1, memoryview(b"a"): 2}` (a plain 'B' view) is one key already in
//! Python (the view equals the bytes), so it is Python, not the conversion, that
//! keeps one entry; it comes back as `{Bytes(b"a"): 2}`, which is checked too.

use pime::{ErrorKind, Value};
use pime_tests::{assert_still_serving, map_of, s, start_with, task, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colliding_keys_are_errors_both_ways() {
    let engine = within(
        30,
        "start",
        start_with("defect_broker", |builder| builder.thread_pool(1, 2)),
    )
    .await;

    // Rust -> Python.
    let colliding = map_of(vec![
        (Value::I64(1), s("int")),
        (Value::Bool(true), s("bool")),
        (Value::F64(1.0), s("float")),
    ]);
    let error = within(
        10,
        "echo colliding keys",
        pime::call(task("echo", &[("value", colliding)])),
    )
    .await
    .expect_err("colliding keys");
    assert_eq!(error.kind, ErrorKind::PackError, "{error}");
    assert!(error.message.contains("nothing was merged"), "{error}");
    assert!(
        ["I64(1)", "Bool(true)", "F64(1.0)"]
            .iter()
            .any(|key| error.message.contains(key)),
        "the message names no key: {error}"
    );
    // Nested in a list, the place is named too.
    let nested = Value::Seq(vec![
        Value::I64(0),
        map_of(vec![(Value::I64(1), s("a")), (Value::F64(1.0), s("b"))]),
    ]);
    let error = within(
        10,
        "echo nested collision",
        pime::call(task("echo", &[("value", nested)])),
    )
    .await
    .expect_err("colliding keys");
    assert_eq!(error.kind, ErrorKind::PackError, "{error}");
    assert!(
        error.message.contains("[1]"),
        "the place is not named: {error}"
    );

    // Distinct on both sides: fine.
    let distinct = map_of(vec![(Value::I64(1), s("int")), (s("1"), s("str"))]);
    assert_eq!(
        within(
            10,
            "echo distinct keys",
            pime::call(task("echo", &[("value", distinct.clone())]))
        )
        .await,
        Ok(Some(distinct))
    );

    // Python -> Rust.
    for command in ["nan_keys", "memoryview_keys"] {
        let error = within(10, command, pime::call(task(command, &[])))
            .await
            .expect_err(command);
        assert_eq!(error.kind, ErrorKind::UnpackError, "{command}: {error}");
        assert!(
            error.message.contains("nothing was merged"),
            "{command}: {error}"
        );
    }
    assert_eq!(
        within(
            10,
            "memoryview_same_key",
            pime::call(task("memoryview_same_key", &[]))
        )
        .await,
        Ok(Some(map_of(vec![(
            Value::Bytes(b"a".to_vec()),
            Value::I64(2)
        )])))
    );
    assert_still_serving().await;
    within(30, "stop", engine.stop()).await.unwrap();
}
