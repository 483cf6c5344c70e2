//! Property test: any `serde_value::Value` built from the supported variants crosses
//! Rust -> Python -> Rust (`echo`) unchanged, modulo the documented normalisation:
//! every int comes back as `I64` (or `U64` above `i64::MAX`), `F32` as `F64`, `Char`
//! as `String`, `Option(Some(v))` and `Newtype(v)` as `v`, `Unit` and `Option(None)` as
//! `Unit` — and a top-level `None` as `Ok(None)`. Values nest arbitrarily (a wide
//! random tree; and chains of lists and dicts up to just under `pime::MAX_DEPTH`),
//! with random bytes and random Unicode strings.
//!
//! Map keys are drawn from the hashable, non-numeric-colliding variants (None, ints,
//! chars, strings, bytes, wrapped or not): a float or bool key may equal an int key in
//! Python (`1 == 1.0 == True`) and merge with it, which is Python's semantics, not a
//! conversion defect. Keys that are distinct in Rust but collide after normalisation
//! (`I8(1)` and `U64(1)`, `Unit` and `Option(None)`) are one key in Python: such a
//! value is a `PackError`, never merged.
//!
//! One engine serves the whole run; the proptest runner runs inside the one test fn.

use std::collections::BTreeMap;

use pime::Value;
use pime_tests::{start, task, within};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn ints() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i8>().prop_map(Value::I8),
        any::<i16>().prop_map(Value::I16),
        any::<i32>().prop_map(Value::I32),
        any::<i64>().prop_map(Value::I64),
        any::<u8>().prop_map(Value::U8),
        any::<u16>().prop_map(Value::U16),
        any::<u32>().prop_map(Value::U32),
        any::<u64>().prop_map(Value::U64),
        prop_oneof![Just(i64::MIN), Just(i64::MAX)].prop_map(Value::I64),
        prop_oneof![Just(u64::MAX), Just(i64::MAX as u64 + 1)].prop_map(Value::U64),
    ]
    .boxed()
}

fn strings() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        // Any Unicode scalar values, NUL and the astral planes included.
        vec(any::<char>(), 0..40).prop_map(|chars| chars.into_iter().collect()),
    ]
    .boxed()
}

fn bytes() -> BoxedStrategy<Vec<u8>> {
    vec(any::<u8>(), 0..64).boxed()
}

fn scalars() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Unit),
        Just(Value::Option(None)),
        any::<bool>().prop_map(Value::Bool),
        ints(),
        any::<f32>().prop_map(Value::F32),
        any::<f64>().prop_map(Value::F64),
        any::<char>().prop_map(Value::Char),
        strings().prop_map(Value::String),
        bytes().prop_map(Value::Bytes),
    ]
    .boxed()
}

fn keys() -> BoxedStrategy<Value> {
    let plain = prop_oneof![
        Just(Value::Unit),
        ints(),
        any::<char>().prop_map(Value::Char),
        strings().prop_map(Value::String),
        bytes().prop_map(Value::Bytes),
    ];
    plain
        .prop_recursive(2, 3, 1, |inner| {
            prop_oneof![
                inner.clone().prop_map(|k| Value::Newtype(Box::new(k))),
                inner.prop_map(|k| Value::Option(Some(Box::new(k)))),
            ]
        })
        .boxed()
}

/// Trees up to 6 levels and about 200 nodes, of every variant.
fn values() -> BoxedStrategy<Value> {
    scalars()
        .prop_recursive(6, 200, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Seq),
                btree_map(keys(), inner.clone(), 0..6).prop_map(Value::Map),
                inner.clone().prop_map(|v| Value::Option(Some(Box::new(v)))),
                inner.prop_map(|v| Value::Newtype(Box::new(v))),
            ]
        })
        .boxed()
}

/// A chain of `depth` lists and dicts (of random kinds) around a scalar: the deepest
/// nesting a param value may have is `MAX_DEPTH - 1` containers around a scalar (the
/// params dict is one more level), so chains go up to that.
fn chains() -> BoxedStrategy<Value> {
    (1..pime::MAX_DEPTH, scalars(), vec(0u8..3, pime::MAX_DEPTH))
        .prop_map(|(depth, leaf, kinds)| {
            kinds[..depth]
                .iter()
                .enumerate()
                .fold(leaf, |inner, (level, kind)| match kind {
                    0 => Value::Seq(vec![inner]),
                    1 => Value::Map(BTreeMap::from([(Value::String("k".into()), inner)])),
                    _ => Value::Seq(vec![Value::I64(level as i64), inner, Value::Unit]),
                })
        })
        .boxed()
}

/// What `value` becomes after a round trip, per the documented normalisation.
fn normalised(value: &Value) -> Value {
    match value {
        Value::Unit | Value::Option(None) => Value::Unit,
        Value::Option(Some(inner)) | Value::Newtype(inner) => normalised(inner),
        Value::Bool(b) => Value::Bool(*b),
        Value::I8(n) => Value::I64(i64::from(*n)),
        Value::I16(n) => Value::I64(i64::from(*n)),
        Value::I32(n) => Value::I64(i64::from(*n)),
        Value::I64(n) => Value::I64(*n),
        Value::U8(n) => Value::I64(i64::from(*n)),
        Value::U16(n) => Value::I64(i64::from(*n)),
        Value::U32(n) => Value::I64(i64::from(*n)),
        Value::U64(n) => i64::try_from(*n).map_or(Value::U64(*n), Value::I64),
        Value::F32(x) => Value::F64(f64::from(*x)),
        Value::F64(x) => Value::F64(*x),
        Value::Char(c) => Value::String(c.to_string()),
        Value::String(s) => Value::String(s.clone()),
        Value::Bytes(b) => Value::Bytes(b.clone()),
        Value::Seq(items) => Value::Seq(items.iter().map(normalised).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (normalised(k), normalised(v)))
                .collect(),
        ),
    }
}

/// Whether a map somewhere in `value` has two keys that are one key in Python.
fn has_colliding_keys(value: &Value) -> bool {
    match value {
        Value::Option(Some(inner)) | Value::Newtype(inner) => has_colliding_keys(inner),
        Value::Seq(items) => items.iter().any(has_colliding_keys),
        Value::Map(map) => {
            let distinct: std::collections::BTreeSet<Value> = map.keys().map(normalised).collect();
            distinct.len() != map.len() || map.values().any(has_colliding_keys)
        }
        _ => false,
    }
}

/// `Ok(None)` for a value that is `None` at the top, else `Ok(Some(normalised))`;
/// `None` for a value with colliding keys, which must be a `PackError`.
fn expected(value: &Value) -> Option<pime::Result<Option<Value>>> {
    if has_colliding_keys(value) {
        return None;
    }
    Some(match normalised(value) {
        Value::Unit => Ok(None),
        other => Ok(Some(other)),
    })
}

/// Checks one round trip against [`expected`].
fn check(sent: &Value, got: pime::Result<Option<Value>>) -> Result<(), TestCaseError> {
    match expected(sent) {
        Some(expected) => prop_assert_eq!(got, expected, "sent {:?}", sent),
        None => {
            let error = got.expect_err("colliding keys must be an error");
            prop_assert_eq!(error.kind, pime::ErrorKind::PackError, "{}", error);
            prop_assert!(error.message.contains("nothing was merged"), "{}", error);
        }
    }
    Ok(())
}

#[test]
fn values_cross_unchanged() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = runtime.block_on(within(30, "start", start("values_broker", 2, 4)));
    let echo = |value: Value| {
        runtime.block_on(within(
            10,
            "echo",
            pime::call(task("echo", &[("value", value)])),
        ))
    };
    let config = |cases| Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };

    let mut runner = TestRunner::new(config(512));
    runner
        .run(&values(), |value| check(&value, echo(value.clone())))
        .unwrap_or_else(|failure| panic!("{failure}"));

    let mut runner = TestRunner::new(config(64));
    runner
        .run(&chains(), |value| check(&value, echo(value.clone())))
        .unwrap_or_else(|failure| panic!("{failure}"));

    runtime.block_on(within(30, "stop", engine.stop())).unwrap();
}
