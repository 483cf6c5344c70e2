//! Property test of what Python libraries return: from a random seed, the broker
//! (`tests/python/library_values.py`) builds a random nesting of every kind the value
//! tables convert — dataclasses, `NamedTuple`s and namedtuples, `Enum`s (with int,
//! str, tuple and Enum values), datetimes (naive and aware), dates, times, `Decimal`s
//! (NaN and infinities too), `UUID`s, paths, sets and frozensets (sortable and not),
//! numpy-like ints, floats, bools and arrays, converted objects (by exact type, by
//! base class, one overriding the datetime rule), and plain values — with dict keys and
//! set items of the hashable kinds. It returns the object and `expect(object)`, a
//! reference of what PIME must make of it written in Python as a tagged tree. What
//! comes back must be exactly that.
//!
//! A second run builds objects that hold, on one random path of lists, tuples, dicts,
//! dataclasses, NamedTuples, arrays and converted objects, one thing PIME cannot
//! convert (a `complex`, an object nothing converts, a `timedelta`, a converter that
//! returns its own type or raises, an int or a numpy-like int out of range, a lone
//! surrogate): the `UnpackError` must name that path and the reason.
//!
//! One engine serves all cases; the proptest runners run inside the one test fn.

use std::collections::BTreeMap;

use pime::{ErrorKind, Value};
use pime_tests::{start, task, within};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 400;

/// The `Value` a tagged tree of `library_values.expect` stands for.
fn from_tagged(tagged: &Value) -> Value {
    let Value::Seq(parts) = tagged else {
        panic!("a tagged value, got {tagged:?}")
    };
    let Some(Value::String(tag)) = parts.first() else {
        panic!("a tag, got {tagged:?}")
    };
    let payload = parts.get(1);
    match (tag.as_str(), payload) {
        ("unit", None) => Value::Unit,
        ("bool", Some(b @ Value::Bool(_))) => b.clone(),
        ("i64", Some(n @ Value::I64(_))) => n.clone(),
        ("u64", Some(n @ Value::U64(_))) => n.clone(),
        ("f64", Some(x @ Value::F64(_))) => x.clone(),
        ("str", Some(text @ Value::String(_))) => text.clone(),
        ("bytes", Some(bytes @ Value::Bytes(_))) => bytes.clone(),
        ("seq", Some(Value::Seq(items))) => Value::Seq(items.iter().map(from_tagged).collect()),
        ("map", Some(Value::Seq(entries))) => {
            let mut map = BTreeMap::new();
            for entry in entries {
                let Value::Seq(pair) = entry else {
                    panic!("a [key, value] pair, got {entry:?}")
                };
                let key = from_tagged(&pair[0]);
                let duplicate = map.insert(key.clone(), from_tagged(&pair[1]));
                assert!(
                    duplicate.is_none(),
                    "the generator made the key {key:?} twice"
                );
            }
            Value::Map(map)
        }
        _ => panic!("an unknown tagged value {tagged:?}"),
    }
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn library_values_convert_as_the_reference_predicts() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = runtime.block_on(within(30, "start", start("library_values", 2, 4)));
    let call = |command: &str, seed: u64| {
        let task = task(command, &[("seed", Value::U64(seed))]);
        runtime.block_on(within(10, command, pime::call(task)))
    };

    let nodes = std::cell::Cell::new(0usize);
    runner()
        .run(&any::<u64>(), |seed| {
            let pair = call("generated", seed)
                .map_err(|e| TestCaseError::fail(format!("seed {seed}: {e}")))?;
            let Some(Value::Seq(pair)) = pair else {
                return Err(TestCaseError::fail(format!("seed {seed}: {pair:?}")));
            };
            let expected = from_tagged(&pair[1]);
            nodes.set(nodes.get() + count(&expected));
            prop_assert_eq!(&pair[0], &expected, "seed {}", seed);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    eprintln!(
        "{CASES} random nestings, {} values in all, as predicted",
        nodes.get()
    );

    runner()
        .run(&any::<u64>(), |seed| {
            let error = match call("failing", seed) {
                Err(error) => error,
                Ok(value) => {
                    return Err(TestCaseError::fail(format!(
                        "seed {seed}: converted to {value:?}"
                    )))
                }
            };
            prop_assert_eq!(error.kind, ErrorKind::UnpackError, "seed {}", seed);
            let Ok(Some(Value::String(expected))) = call("failing_expected", seed) else {
                return Err(TestCaseError::fail("failing_expected is a str"));
            };
            // Once `jobs/job.rs` names the command: `failing: result[..]: ...`.
            let message = error
                .message
                .strip_prefix("failing: ")
                .unwrap_or(&error.message);
            prop_assert!(
                message.starts_with(&expected),
                "seed {}: expected {:?}, got {:?}",
                seed,
                expected,
                message
            );
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));

    runtime.block_on(within(30, "stop", engine.stop())).unwrap();
}

/// Values in `value`, containers and keys included.
fn count(value: &Value) -> usize {
    match value {
        Value::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Value::Map(map) => 1 + map.iter().map(|(k, v)| count(k) + count(v)).sum::<usize>(),
        _ => 1,
    }
}
