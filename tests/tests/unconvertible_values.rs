//! Each value the value table cannot convert is a clear error that names the place and the type.

use pime::{ErrorKind, Value};
use pime_tests::{built, echo, map_of as map, s, start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconvertible_values_are_clear_errors() {
    let engine = start("testmod", 2, 4).await;

    let expectations = [
        (
            "object",
            "result: cannot convert object (convert it in the broker, or register a converter: \
             pime.register_converter(object, fn))",
        ),
        (
            "cyclic_list",
            "result[0]: cyclic reference: this list contains itself",
        ),
        (
            "cyclic_dict",
            "result[\"self\"]: cyclic reference: this dict contains itself",
        ),
        (
            "big_int",
            "result: int of 71 bits does not fit in i64 or u64",
        ),
        (
            "negative_big_int",
            "result: int of 71 bits does not fit in i64 or u64",
        ),
        ("surrogate", "result: str is not valid Unicode"),
        ("surrogate_key", "result[<key>]: str is not valid Unicode"),
    ];
    for (name, expected) in expectations {
        let error = built(name).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnpackError, "{name}: {error}");
        // The message names the command first.
        assert!(
            error.message.starts_with(&format!("build: {expected}")),
            "{name}: got {:?}",
            error.message
        );
    }
    // Sets and datetimes convert now (tests/tests/library_values.rs tests them all).
    assert_eq!(
        built("set").await,
        Ok(Some(Value::Seq(vec![Value::I64(1), Value::I64(2)])))
    );
    assert_eq!(
        built("datetime_nested").await,
        Ok(Some(Value::Seq(vec![
            Value::I64(1),
            Value::I64(2),
            Value::I64(3),
            map(vec![(s("when"), s("2020-01-01T00:00:00"))]),
        ])))
    );
    let deep = built("deep").await.unwrap_err();
    assert_eq!(deep.kind, ErrorKind::UnpackError);
    assert!(
        deep.message.contains("nesting deeper than 200 levels"),
        "{}",
        deep.message
    );

    // Rust -> Python failures are PackErrors that name the place.
    let unhashable_key = map(vec![(Value::Seq(vec![]), Value::I64(1))]);
    let error = pime::call(task(
        "echo",
        &[("value", map(vec![(s("outer"), unhashable_key)]))],
    ))
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::PackError);
    assert_eq!(
        error.message,
        "params[\"value\"][\"outer\"][Seq([])]: a dict key cannot be a list"
    );

    let mut too_deep = Value::Unit;
    for _ in 0..300 {
        too_deep = Value::Seq(vec![too_deep]);
    }
    let error = pime::call(task("echo", &[("value", too_deep)]))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::PackError);
    assert!(
        error.message.contains("nesting deeper than 200 levels"),
        "{}",
        error.message
    );

    // The engine keeps serving after every failure.
    assert_eq!(echo(s("still here")).await, Some(s("still here")));
    engine.stop().await.unwrap();
}
