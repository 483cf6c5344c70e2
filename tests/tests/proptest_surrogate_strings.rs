//! Property test: strings built on the Python side from random code points — lone
//! surrogates (U+D800..U+DFFF) included, alone, in pairs, anywhere — or from random
//! bytes decoded with `surrogateescape`, returned at the top, in a list, as a dict key
//! or deep in a dict value: a string without surrogates comes back exactly; one with
//! any is an `UnpackError` that says so and names where it sat. Never a panic, never
//! a lossy string.

use pime::{ErrorKind, Value};
use pime_tests::{start, task, within};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const PLACES: [&str; 4] = ["top", "list", "dict_key", "dict_value"];

fn code_points() -> BoxedStrategy<Vec<u32>> {
    let any_point = prop_oneof![
        4 => 0u32..0x80,
        2 => 0x80u32..0xD800,
        3 => 0xD800u32..0xE000,
        2 => 0xE000u32..=0x10FFFF,
    ];
    vec(any_point, 0..48).boxed()
}

fn is_surrogate(point: u32) -> bool {
    (0xD800..0xE000).contains(&point)
}

/// Where the string sits in the value `values_broker._place` builds, and how that
/// looks when it comes back.
fn placed(text: String, place: &str) -> Value {
    let s = |t: &str| Value::String(t.into());
    match place {
        "top" => Value::String(text),
        "list" => Value::Seq(vec![Value::I64(1), Value::String(text)]),
        "dict_key" => Value::Map([(Value::String(text), Value::I64(1))].into()),
        "dict_value" => Value::Map(
            [(
                s("k"),
                Value::Seq(vec![
                    Value::Unit,
                    Value::Map([(s("inner"), Value::String(text))].into()),
                ]),
            )]
            .into(),
        ),
        _ => unreachable!(),
    }
}

/// The path prefix the error message must name for a string at `place`.
fn error_path(place: &str) -> &'static str {
    match place {
        "top" => "result: ",
        "list" => "result[1]: ",
        "dict_key" => "result[<key>]: ",
        _ => "result[\"k\"][1][\"inner\"]: ",
    }
}

fn check(
    outcome: pime::Result<Option<Value>>,
    valid: Option<String>,
    place: &str,
) -> Result<(), TestCaseError> {
    match valid {
        Some(text) => prop_assert_eq!(outcome, Ok(Some(placed(text, place)))),
        None => {
            let error = match outcome {
                Err(error) => error,
                Ok(value) => return Err(TestCaseError::fail(format!("came back as {value:?}"))),
            };
            prop_assert_eq!(error.kind, ErrorKind::UnpackError, "{}", error);
            prop_assert!(error.message.contains("surrogate"), "{}", error.message);
            // The message names the command first: `string_from: result[1]: ...`.
            let after_command = error.message.split_once(": ").map_or("", |(_, rest)| rest);
            prop_assert!(
                after_command.starts_with(error_path(place)),
                "{}",
                error.message
            );
        }
    }
    Ok(())
}

#[test]
fn surrogate_strings_never_panic() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = runtime.block_on(within(30, "start", start("values_broker", 2, 4)));
    let call = |task| runtime.block_on(within(10, "call", pime::call(task)));
    let config = Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    };

    let mut runner = TestRunner::new(config.clone());
    runner
        .run(&(code_points(), 0..PLACES.len()), |(points, place)| {
            let place = PLACES[place];
            let valid = (!points.iter().copied().any(is_surrogate)).then(|| {
                points
                    .iter()
                    .map(|&p| char::from_u32(p).expect("a scalar value"))
                    .collect::<String>()
            });
            let wire: Vec<Value> = points.into_iter().map(Value::U32).collect();
            let outcome = call(task(
                "string_from",
                &[
                    ("code_points", Value::Seq(wire)),
                    ("where", Value::String(place.into())),
                ],
            ));
            check(outcome, valid, place)
        })
        .unwrap_or_else(|failure| panic!("{failure}"));

    // Random bytes decoded with surrogateescape: valid UTF-8 comes back as is, any
    // invalid byte becomes a lone surrogate.
    let mut runner = TestRunner::new(config);
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..64),
        any::<String>().prop_map(String::into_bytes),
    ];
    runner
        .run(&(bytes, 0..PLACES.len()), |(data, place)| {
            let place = PLACES[place];
            let valid = String::from_utf8(data.clone()).ok();
            let outcome = call(task(
                "decoded",
                &[
                    ("data", Value::Bytes(data)),
                    ("where", Value::String(place.into())),
                ],
            ));
            check(outcome, valid, place)
        })
        .unwrap_or_else(|failure| panic!("{failure}"));

    runtime.block_on(within(30, "stop", engine.stop())).unwrap();
}
