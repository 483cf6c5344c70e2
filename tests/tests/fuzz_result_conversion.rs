//! Fuzz-style property test of result conversion: random byte strings drive a small
//! Python generator (`tests/python/fuzz_objects.py`) that builds arbitrary objects —
//! ints of any size, floats (nan, inf, -0.0), str with lone surrogates, bytes,
//! bytearray, memoryview, lists, tuples, namedtuples, dicts and OrderedDicts with keys
//! of many kinds, sets, frozensets, None, complex, datetime, Decimal, plain objects,
//! int/str subclasses, shared sub-objects, cycles, chains up to 510 lists deep — and
//! the broker returns them. Every outcome must be `Ok` or an `UnpackError`, nothing
//! panics or hangs; and the outcome must be the one the generator predicts from
//! The value table: `Ok` exactly when the object is convertible, with as many `Value` nodes
//! as the object has, or an `UnpackError` giving the reason the prediction gives.
//!
//! One engine serves all cases; the proptest runner runs inside the one test fn.

use pime::{ErrorKind, Value};
use pime_tests::{start, task, within};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 1000;

/// `Value` nodes, counted the way `fuzz_objects._count` counts Python objects.
fn nodes(value: &Value) -> i64 {
    match value {
        Value::Seq(items) => 1 + items.iter().map(nodes).sum::<i64>(),
        Value::Map(map) => 1 + map.iter().map(|(k, v)| nodes(k) + nodes(v)).sum::<i64>(),
        _ => 1,
    }
}

/// `[convertible, nodes, is_none, reason]` from `fuzz_objects.predict`.
struct Prediction {
    convertible: bool,
    nodes: i64,
    is_none: bool,
    reason: String,
}

fn prediction(value: Option<Value>) -> Prediction {
    match value {
        Some(Value::Seq(fields)) => match fields.as_slice() {
            [Value::Bool(convertible), Value::I64(nodes), Value::Bool(is_none), Value::String(reason)] => {
                Prediction {
                    convertible: *convertible,
                    nodes: *nodes,
                    is_none: *is_none,
                    reason: reason.clone(),
                }
            }
            other => panic!("a prediction, got {other:?}"),
        },
        other => panic!("a prediction, got {other:?}"),
    }
}

/// What the `UnpackError` message must say for the reason `fuzz_objects` predicts.
fn expected_words(reason: &str) -> Vec<String> {
    match reason {
        "int out of range" => vec!["does not fit in i64 or u64".into()],
        "surrogate" => vec!["surrogate".into()],
        "cycle" => vec!["cyclic reference".into()],
        "too deep" => vec![format!("nesting deeper than {} levels", pime::MAX_DEPTH)],
        type_name => vec!["cannot convert".into(), type_name.into()],
    }
}

#[test]
fn arbitrary_python_results_convert_or_fail_cleanly() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = runtime.block_on(within(30, "start", start("fuzz_objects", 2, 4)));
    let call = |command: &str, data: &[u8]| {
        let task = task(command, &[("data", Value::Bytes(data.to_vec()))]);
        runtime.block_on(within(10, command, pime::call(task)))
    };

    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    let tally = std::cell::RefCell::new(&mut outcomes);
    runner
        .run(&vec(any::<u8>(), 0..512), |data| {
            let predicted = prediction(call("predict", &data).expect("predict never raises"));
            let outcome = call("build", &data);
            let class = match &outcome {
                Ok(None) => {
                    prop_assert!(
                        predicted.convertible && predicted.is_none,
                        "None: {}",
                        predicted.reason
                    );
                    "ok: None".to_string()
                }
                Ok(Some(value)) => {
                    prop_assert!(
                        predicted.convertible,
                        "converted although {}",
                        predicted.reason
                    );
                    prop_assert!(!predicted.is_none);
                    prop_assert_eq!(nodes(value), predicted.nodes);
                    "ok: a value".to_string()
                }
                Err(error) if error.kind == ErrorKind::UnpackError => {
                    prop_assert!(
                        !predicted.convertible,
                        "refused a convertible object: {}",
                        error
                    );
                    // The message names the command first.
                    prop_assert!(
                        error.message.starts_with("build: result"),
                        "{}",
                        error.message
                    );
                    for words in expected_words(&predicted.reason) {
                        prop_assert!(
                            error.message.contains(&words),
                            "predicted {}, got {}",
                            predicted.reason,
                            error.message
                        );
                    }
                    format!("UnpackError: {}", predicted.reason)
                }
                Err(error) => {
                    return Err(TestCaseError::fail(format!(
                        "neither Ok nor UnpackError: {error}"
                    )))
                }
            };
            *tally.borrow_mut().entry(class).or_default() += 1;
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    eprintln!("fuzz outcomes over {CASES} cases: {outcomes:?}");

    runtime.block_on(within(30, "stop", engine.stop())).unwrap();
}
