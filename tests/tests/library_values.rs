//! What Python libraries return converts by the README's value tables: numpy-like
//! scalars and arrays (stand-ins: numpy is not installed for the embedded Python),
//! dataclasses, `NamedTuple`s, `Enum` members, `datetime`s, `Decimal`, `UUID`, paths,
//! sets, as values and as dict keys; registered converters (by type, by base class, the
//! `object` fallback); and what still fails says where, what and how to fix it. The
//! broker is `tests/python/library_values.py`.

use std::collections::BTreeMap;

use pime::{ErrorKind, Value};
use pime_tests::{map_of, s, start, task, within};
use serde::Deserialize;

async fn kind(name: &str) -> pime::Result<Option<Value>> {
    within(10, name, pime::call(task("kind", &[("name", s(name))]))).await
}

async fn converted(name: &str) -> Value {
    kind(name)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|| panic!("{name}: None"))
}

/// The `UnpackError` of kind `name`, its message without the command in front (which
/// it names once `jobs/job.rs` passes the command: `kind: result[1]: ...`).
async fn refused(name: &str) -> String {
    let error = kind(name).await.expect_err(name);
    assert_eq!(error.kind, ErrorKind::UnpackError, "{name}: {error}");
    match error.message.strip_prefix("kind: ") {
        Some(rest) => rest.to_string(),
        None => error.message,
    }
}

fn seq(items: Vec<Value>) -> Value {
    Value::Seq(items)
}

fn int(n: i64) -> Value {
    Value::I64(n)
}

fn fields(entries: &[(&str, Value)]) -> Value {
    map_of(entries.iter().map(|(k, v)| (s(k), v.clone())).collect())
}

#[derive(Debug, Deserialize, PartialEq)]
struct Point {
    x: i64,
    y: f64,
    label: String,
}

#[derive(Debug, Deserialize)]
struct Event {
    name: String,
    when: String,
    #[serde(rename = "where")]
    place: Point,
    tags: Vec<String>,
    color: String,
    price: String,
    id: String,
    path: String,
}

/// `2024-05-06T07:08:09.123456+02:00` as (date, time, microseconds, offset in minutes).
fn parse_iso(text: &str) -> ([u32; 3], [u32; 3], u32, i32) {
    let (date, time) = text.split_once('T').expect("a date and a time");
    let date: Vec<u32> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let (clock, offset) = time.split_at(time.rfind(['+', '-']).expect("an offset"));
    let (clock, micros) = clock.split_once('.').unwrap_or((clock, "0"));
    let clock: Vec<u32> = clock.split(':').map(|p| p.parse().unwrap()).collect();
    let (hours, minutes) = offset[1..].split_once(':').expect("hh:mm");
    let minutes = hours.parse::<i32>().unwrap() * 60 + minutes.parse::<i32>().unwrap();
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    (
        [date[0], date[1], date[2]],
        [clock[0], clock[1], clock[2]],
        micros.parse().unwrap(),
        sign * minutes,
    )
}

/// Containers around the innermost value: `Node(a=Node(a=...))` is a map per level.
fn node_depth(mut value: &Value) -> usize {
    let mut depth = 0;
    while let Value::Map(map) = value {
        depth += 1;
        value = &map[&s("a")];
    }
    depth
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_values_convert() {
    let engine = within(30, "start", start("library_values", 2, 4)).await;

    // numpy-like: `__index__` is an int, a `numbers.Real` a float, `numpy.bool_` a bool,
    // an array its `tolist()` (before its `__index__`, which raises).
    assert_eq!(converted("int64").await, int(7));
    assert_eq!(converted("int64_u64").await, Value::U64(u64::MAX));
    assert_eq!(
        refused("int64_big").await,
        "result: int of 71 bits does not fit in i64 or u64"
    );
    assert_eq!(converted("float32").await, Value::F64(1.5));
    assert_eq!(
        converted("numpy_bool").await,
        seq(vec![Value::Bool(true), Value::Bool(false)])
    );
    assert_eq!(
        converted("ndarray").await,
        seq(vec![
            seq(vec![int(1), int(2)]),
            seq(vec![Value::F64(3.5), int(4)])
        ])
    );

    // A dataclass is a map of its fields: it decodes into a struct, with a datetime as
    // its ISO string, a set as a sorted list, an Enum as its value, Decimal, UUID and
    // paths as strings.
    assert_eq!(
        Point::deserialize(converted("point").await).unwrap(),
        Point {
            x: 1,
            y: 2.5,
            label: "p".into()
        }
    );
    let event = Event::deserialize(converted("event").await).unwrap();
    assert_eq!(event.name, "launch");
    assert_eq!(event.when, "2024-05-06T07:08:09.123456+02:00");
    assert_eq!(
        parse_iso(&event.when),
        ([2024, 5, 6], [7, 8, 9], 123_456, 120)
    );
    assert_eq!(
        event.place,
        Point {
            x: 3,
            y: -1.0,
            label: "pad".into()
        }
    );
    assert_eq!(event.tags, ["a", "b", "c"]);
    assert_eq!(event.color, "green");
    assert_eq!(event.price, "19.90");
    assert_eq!(event.id, "6fa459ea-ee8a-3ca4-894e-db77e160355e");
    assert_eq!(event.path, "/srv/launch.toml");

    // Enum members are their values, converted in turn.
    let blue = seq(vec![int(0), int(0), int(255)]);
    assert_eq!(
        converted("enums").await,
        seq(vec![
            int(1),
            s("green"),
            blue.clone(),
            int(300),
            blue.clone()
        ])
    );
    assert_eq!(
        converted("datetimes").await,
        seq(vec![
            s("2020-01-02T03:04:05"),
            s("2020-01-02T03:04:05.000006+00:00"),
            s("1999-12-31"),
            s("23:59:01.000500"),
        ])
    );
    assert_eq!(
        converted("strings").await,
        seq(vec![
            s("1.10"),
            s("NaN"),
            s("-1E+3"),
            s("00000000-0000-0000-0000-000000000001"),
            s("a/b"),
            s("/tmp/x"),
        ])
    );

    // Sets: sorted when the items compare, else in the set's own order.
    assert_eq!(
        converted("sets").await,
        seq(vec![
            seq(vec![int(1), int(2), int(3)]),
            seq(vec![s("a"), s("b")]),
            seq(vec![]),
            seq(vec![seq(vec![int(1), s("z")]), seq(vec![int(2), s("b")])]),
        ])
    );
    let Value::Seq(mixed) = converted("mixed_set").await else {
        panic!("a list")
    };
    assert_eq!(mixed[0], mixed[1], "the set's iteration order");
    let Value::Seq(items) = &mixed[0] else {
        panic!("a sequence")
    };
    assert!(items.contains(&int(1)) && items.contains(&s("a")) && items.len() == 2);

    // NamedTuples are maps; plain tuples stay sequences.
    assert_eq!(
        converted("tuples").await,
        seq(vec![
            fields(&[("left", int(1)), ("right", s("x"))]),
            fields(&[("first", seq(vec![int(1)])), ("second", Value::Unit)]),
            seq(vec![int(1), int(2)]),
            seq(vec![]),
        ])
    );

    // Keys convert the same way; two that become one `Value` are refused, not merged.
    let keys: BTreeMap<Value, Value> = [
        (int(1), s("enum")),
        (s("2020-01-01"), s("date")),
        (seq(vec![int(1)]), s("frozenset")),
        (
            fields(&[("left", int(1)), ("right", s("x"))]),
            s("namedtuple"),
        ),
        (fields(&[("a", int(1)), ("b", s("k"))]), s("dataclass")),
        (s("2.5"), s("decimal")),
        (int(9), s("int64")),
    ]
    .into_iter()
    .collect();
    assert_eq!(converted("keys").await, Value::Map(keys));
    let collision = refused("colliding_keys").await;
    assert!(
        collision.starts_with("result[I64(1)]: the key I64(1) equals another key"),
        "{collision}"
    );

    // Converters: by exact type, by base class, before the library rules (a datetime
    // subclass with a converter is not an ISO string).
    assert_eq!(
        converted("celsius").await,
        fields(&[("celsius", Value::F64(21.5))])
    );
    assert_eq!(
        converted("derived").await,
        seq(vec![
            seq(vec![s("base"), s("Derived")]),
            seq(vec![s("base"), s("Base")])
        ])
    );
    assert_eq!(converted("stamp").await, Value::F64(1_577_836_800.0));

    // What fails says where, what, and what to do.
    assert_eq!(
        refused("stubborn").await,
        "result: cannot convert library_values.Stubborn: the converter registered for \
         library_values.Stubborn returned a library_values.Stubborn again (it must return a \
         value the table converts)"
    );
    assert_eq!(
        refused("failing").await,
        "result[1]: cannot convert library_values.Failing: the converter registered for \
         library_values.Failing raised ValueError: no"
    );
    let ping = refused("ping").await;
    assert!(
        ping.contains("nesting deeper than 200 levels"),
        "converters that return each other: {ping}"
    );
    assert_eq!(
        refused("opaque").await,
        "result[\"list\"][2]: cannot convert library_values.Opaque (convert it in the broker, \
         or register a converter: pime.register_converter(library_values.Opaque, fn))"
    );
    assert!(refused("opaque_key")
        .await
        .starts_with("result[<key>]: cannot convert library_values.Opaque ("));
    assert_eq!(
        refused("timedelta").await,
        "result[1][\"when\"]: cannot convert datetime.timedelta (convert it in the broker, or \
         register a converter: pime.register_converter(datetime.timedelta, fn))"
    );
    assert!(refused("complex_in_set")
        .await
        .starts_with("result[0]: cannot convert complex ("));

    // New containers are on the cycle check and the depth limit.
    assert_eq!(
        refused("cyclic_node").await,
        "result[\"a\"]: cyclic reference: this library_values.Node contains itself"
    );
    assert_eq!(
        refused("cyclic_converter").await,
        "result[0]: cyclic reference: this library_values.Wrapper contains itself"
    );
    let deep = refused("deep_nodes").await;
    assert!(deep.contains("nesting deeper than 200 levels"), "{deep}");
    assert_eq!(node_depth(&converted("shallow_nodes").await), 151);

    // A converter for `object` is the last resort: after every other rule.
    let fallback = |on: bool| {
        within(
            10,
            "set_fallback",
            pime::call(task("set_fallback", &[("on", Value::Bool(on))])),
        )
    };
    fallback(true).await.unwrap();
    assert_eq!(
        converted("opaque").await,
        fields(&[("list", seq(vec![int(1), int(2), s("<Opaque>")]))])
    );
    assert_eq!(
        converted("timedelta").await,
        seq(vec![int(1), fields(&[("when", s("<timedelta>"))])])
    );
    assert_eq!(converted("stamp").await, Value::F64(1_577_836_800.0));
    let Value::Seq(strings) = converted("strings").await else {
        panic!("a list")
    };
    assert_eq!(strings[0], s("1.10"), "a Decimal is still its string");
    fallback(false).await.unwrap();
    assert!(refused("opaque")
        .await
        .contains("cannot convert library_values.Opaque"));

    // register_converter refuses what it could never convert.
    let register = |name: &'static str| {
        within(
            10,
            "register",
            pime::call(task("register", &[("cls_name", s(name))])),
        )
    };
    for (name, exception, words) in [
        (
            "int",
            "ValueError",
            "PIME converts int and its subclasses itself",
        ),
        (
            "Pair",
            "ValueError",
            "PIME converts tuple and its subclasses itself",
        ),
        (
            "number",
            "TypeError",
            "register_converter takes a class, got int",
        ),
    ] {
        let Some(Value::Seq(outcome)) = register(name).await.unwrap() else {
            panic!("{name}: refused")
        };
        assert_eq!(outcome[0], s(exception), "{name}");
        let Value::String(message) = &outcome[1] else {
            panic!()
        };
        assert!(message.contains(words), "{name}: {message}");
    }
    assert_eq!(register("Opaque").await, Ok(None));

    // Stream items convert the same way.
    let mut items = within(10, "stream", pime::call_stream(task("stream_kinds", &[])))
        .await
        .unwrap();
    let mut streamed = Vec::new();
    while let Some(item) = within(10, "item", items.next()).await {
        streamed.push(item.unwrap());
    }
    assert_eq!(
        streamed,
        [
            fields(&[("x", int(1)), ("y", Value::F64(2.0)), ("label", s("p"))]),
            s("2021-02-03"),
            blue,
            seq(vec![int(1), int(2)]),
        ]
    );

    within(30, "stop", engine.stop()).await.unwrap();
}
