//! Every value of the README's value table crosses both ways; each unconvertible value is a clear error.

use pime::Value;
use pime_tests::{built, call_ok, echo, map_of as map, s, start};

/// Sends `value` to Python and returns `[type name, repr]` as Python saw it.
async fn seen_by_python(value: Value) -> (String, String) {
    match call_ok("type_of", &[("value", value)]).await {
        Value::Seq(items) => match &items[..] {
            [Value::String(t), Value::String(r)] => (t.clone(), r.clone()),
            other => panic!("unexpected {other:?}"),
        },
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_cross_the_boundary() {
    let engine = start("testmod", 2, 4).await;

    // Rust -> Python: what Python sees.
    let cases: Vec<(Value, &str, &str)> = vec![
        (Value::Unit, "NoneType", "None"),
        (Value::Option(None), "NoneType", "None"),
        (Value::Bool(true), "bool", "True"),
        (Value::I8(-8), "int", "-8"),
        (Value::I16(-16), "int", "-16"),
        (Value::I32(-32), "int", "-32"),
        (Value::I64(i64::MIN), "int", "-9223372036854775808"),
        (Value::U8(8), "int", "8"),
        (Value::U16(16), "int", "16"),
        (Value::U32(32), "int", "32"),
        (Value::U64(u64::MAX), "int", "18446744073709551615"),
        (Value::F32(1.5), "float", "1.5"),
        (Value::F64(f64::NAN), "float", "nan"),
        (Value::F64(f64::NEG_INFINITY), "float", "-inf"),
        (Value::Char('é'), "str", "'é'"),
        (s("héllo"), "str", "'héllo'"),
        (Value::Bytes(vec![0, 255]), "bytes", "b'\\x00\\xff'"),
        (Value::Seq(vec![Value::I64(1), s("a")]), "list", "[1, 'a']"),
        (map(vec![(s("k"), Value::I64(1))]), "dict", "{'k': 1}"),
        (map(vec![(Value::I64(7), s("v"))]), "dict", "{7: 'v'}"),
        (Value::Option(Some(Box::new(Value::I64(3)))), "int", "3"),
        (Value::Newtype(Box::new(s("n"))), "str", "'n'"),
    ];
    for (value, python_type, repr) in cases {
        let seen = seen_by_python(value.clone()).await;
        assert_eq!(seen, (python_type.into(), repr.into()), "sending {value:?}");
    }

    // Round trips: what comes back.
    let nested = map(vec![
        (
            s("list"),
            Value::Seq(vec![Value::I64(1), Value::F64(2.5), Value::Bool(false)]),
        ),
        (s("bytes"), Value::Bytes(b"raw".to_vec())),
        (s("inner"), map(vec![(s("deep"), Value::Seq(vec![s("x")]))])),
    ]);
    assert_eq!(echo(nested.clone()).await, Some(nested));
    assert_eq!(echo(Value::I32(5)).await, Some(Value::I64(5)));
    assert_eq!(echo(Value::U64(u64::MAX)).await, Some(Value::U64(u64::MAX)));
    assert_eq!(echo(Value::Char('c')).await, Some(s("c")));
    assert_eq!(echo(Value::F32(0.5)).await, Some(Value::F64(0.5)));
    assert_eq!(
        echo(Value::Unit).await,
        None,
        "a top-level None is Ok(None)"
    );

    // Python-only shapes coming back.
    assert_eq!(
        built("nested_none").await.unwrap(),
        Some(Value::Seq(vec![
            Value::Unit,
            map(vec![(s("k"), Value::Unit)]),
        ]))
    );
    assert_eq!(
        built("tuple").await.unwrap(),
        Some(Value::Seq(vec![Value::I64(1), s("two"), Value::F64(3.0),]))
    );
    assert_eq!(
        built("bytearray").await.unwrap(),
        Some(Value::Bytes(vec![0, 1]))
    );
    assert_eq!(
        built("memoryview").await.unwrap(),
        Some(Value::Bytes(b"xyz".to_vec()))
    );
    assert_eq!(built("u64_max").await.unwrap(), Some(Value::U64(u64::MAX)));
    assert_eq!(
        built("bool_subclass_of_int").await.unwrap(),
        Some(Value::Bool(true))
    );
    assert_eq!(built("inf").await.unwrap(), Some(Value::F64(f64::INFINITY)));
    match built("nan").await.unwrap() {
        Some(Value::F64(x)) => assert!(x.is_nan()),
        other => panic!("nan came back as {other:?}"),
    }
    assert_eq!(
        built("int_key").await.unwrap(),
        Some(map(vec![
            (Value::I64(1), s("one")),
            (Value::Seq(vec![Value::I64(1), Value::I64(2)]), s("tuple")),
        ]))
    );

    engine.stop().await.unwrap();
}
