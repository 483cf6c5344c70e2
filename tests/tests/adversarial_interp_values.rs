//! Adversarial: the whole value table, library values, converters and every
//! exception kind, in own-GIL subinterpreters (`.interpreters(2)`).

use std::collections::BTreeMap;

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{map_of, s, task, within, PYTHON_DIR};

fn supported() -> bool {
    pyo3::Python::attach(|py| py.version_info() >= (3, 12))
}

async fn build(name: &str) -> pime::Result<Option<Value>> {
    within(30, name, pime::call(task("build", &[("name", s(name))]))).await
}

async fn build_ok(name: &str) -> Value {
    build(name)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:#?}"))
        .unwrap_or_else(|| panic!("{name}: None"))
}

async fn unpack_err(name: &str) -> pime::Error {
    let e = build(name).await.expect_err(name);
    assert_eq!(e.kind, ErrorKind::UnpackError, "{name}: {e:#?}");
    e
}

async fn echo(value: Value) -> pime::Result<Option<Value>> {
    let params = BTreeMap::from([("value".to_string(), value)]);
    within(30, "echo", pime::call(PyTask::new(s("echo"), params))).await
}

async fn fail(kind: &str) -> pime::Error {
    within(30, kind, pime::call(task("fail", &[("kind", s(kind))])))
        .await
        .expect_err(kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn values_and_errors_in_subinterpreters() {
    if !supported() {
        println!("skipped: subinterpreters need CPython 3.12+");
        return;
    }
    let engine = within(60, "start", async {
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(2)
            .broker("adversarial_interp_values", "broker")
            .start()
            .await
    })
    .await
    .expect("the engine starts");

    // It really runs in a subinterpreter (id != 0).
    let id = within(10, "interp", pime::call(PyTask::new0(s("interp")))).await;
    assert_ne!(
        id,
        Ok(Some(Value::I64(0))),
        "pooled call ran in the main interpreter"
    );
    let mut exclusive = PyTask::new0(s("interp"));
    exclusive.mark_exclusive();
    assert_eq!(
        within(10, "interp excl", pime::call(exclusive)).await,
        Ok(Some(Value::I64(0))),
        "exclusive tasks run in the main interpreter"
    );

    // ---- ints
    assert_eq!(build_ok("u64_max").await, Value::U64(u64::MAX));
    assert_eq!(build_ok("i64_min").await, Value::I64(i64::MIN));
    unpack_err("huge_int").await;
    unpack_err("neg_huge_int").await;
    for v in [
        Value::U64(u64::MAX),
        Value::I64(i64::MIN),
        Value::I8(-5),
        Value::U8(255),
        Value::U32(u32::MAX),
    ] {
        let back = echo(v.clone()).await.unwrap().unwrap();
        let as_i128 = |v: &Value| match v {
            Value::U64(x) => *x as i128,
            Value::I64(x) => *x as i128,
            Value::I8(x) => *x as i128,
            Value::U8(x) => *x as i128,
            Value::U32(x) => *x as i128,
            other => panic!("{other:?}"),
        };
        assert_eq!(as_i128(&back), as_i128(&v), "{v:?} -> {back:?}");
    }

    // ---- floats, nan keys
    match echo(Value::F64(f64::NAN)).await.unwrap().unwrap() {
        Value::F64(x) => assert!(x.is_nan()),
        other => panic!("nan came back as {other:?}"),
    }
    assert_eq!(echo(Value::F32(1.5)).await.unwrap(), Some(Value::F64(1.5)));
    let e = unpack_err("nan_keys").await;
    println!("nan keys: {}", e.message);
    match build_ok("one_nan_key").await {
        Value::Map(m) => assert_eq!(m.len(), 1),
        other => panic!("{other:?}"),
    }
    unpack_err("enum_key_collision").await;

    // ---- strings
    unpack_err("surrogate").await;
    unpack_err("surrogate_key").await;
    assert_eq!(echo(Value::Char('é')).await.unwrap(), Some(s("é")));
    assert_eq!(
        echo(s("\u{0}nul\u{10FFFF}")).await.unwrap(),
        Some(s("\u{0}nul\u{10FFFF}"))
    );

    // ---- bytes
    assert_eq!(
        build_ok("bytes_kinds").await,
        Value::Seq(vec![
            Value::Bytes(vec![0, 255]),
            Value::Bytes(b"ab".to_vec()),
            Value::Bytes(b"cd".to_vec())
        ])
    );
    assert_eq!(
        echo(Value::Bytes(vec![0, 1, 2, 255])).await.unwrap(),
        Some(Value::Bytes(vec![0, 1, 2, 255]))
    );

    // ---- maps with odd keys going in
    let odd = map_of(vec![
        (Value::I64(1), s("int")),
        (Value::Bool(true), s("bool")),
        (Value::Unit, s("none")),
        (Value::Bytes(b"k".to_vec()), s("bytes")),
    ]);
    let back = echo(odd).await;
    println!("odd keys back: {back:?}");
    // int 1 and True are the same Python key: they merge going in, or fail. Never a crash.
    let unhashable = map_of(vec![(Value::Seq(vec![Value::I64(1)]), s("list key"))]);
    let e = echo(unhashable)
        .await
        .expect_err("a list key cannot be hashed");
    assert_eq!(e.kind, ErrorKind::PackError, "{e:#?}");

    // ---- nesting and cycles
    unpack_err("cyclic_list").await;
    unpack_err("cyclic_dict").await;
    build_ok("deep_200").await;
    unpack_err("deep_201").await;
    unpack_err("deep_100k").await;
    unpack_err("deep_dataclass").await;
    let deep = pime_tests::nested_lists(200_000, Value::I64(1));
    let e = echo(deep).await.expect_err("200,000 deep params");
    assert_eq!(e.kind, ErrorKind::PackError, "{e:#?}");
    let ok = pime_tests::nested_lists(199, Value::I64(1));
    assert!(echo(ok).await.is_ok());

    // ---- library values and converters
    let library = build_ok("library").await;
    println!("library: {library:?}");
    let Value::Map(m) = library else { panic!() };
    let get = |k: &str| m.get(&s(k)).cloned().unwrap_or_else(|| panic!("no {k}"));
    assert_eq!(get("color"), s("red"));
    assert_eq!(get("level"), Value::I64(1));
    assert_eq!(
        get("pt"),
        map_of(vec![(s("x"), Value::I64(1)), (s("y"), Value::I64(2))])
    );
    assert_eq!(
        get("point"),
        map_of(vec![(s("x"), Value::I64(3)), (s("inner"), s("x"))])
    );
    assert_eq!(
        get("set"),
        Value::Seq(vec![Value::I64(1), Value::I64(2), Value::I64(3)])
    );
    assert_eq!(get("frozen"), Value::Seq(vec![s("a"), s("b")]));
    assert_eq!(get("tuple"), Value::Seq(vec![Value::I64(1), s("a")]));
    assert_eq!(get("date"), s("2024-01-02"));
    assert_eq!(get("decimal"), s("1.10"));
    assert_eq!(get("nan_decimal"), s("NaN"));
    assert_eq!(get("uuid"), s("6fa459ea-ee8a-3ca4-894e-db77e160355e"));
    assert_eq!(get("path"), s("/tmp/x"));
    assert_eq!(get("fraction"), Value::F64(0.25));
    assert_eq!(
        get("money"),
        map_of(vec![(s("amount"), s("2.50")), (s("currency"), s("EUR"))])
    );
    assert_eq!(get("delta"), Value::F64(90.0));
    assert_eq!(get("enum_key"), map_of(vec![(s("red"), Value::I64(1))]));
    assert_eq!(get("inf"), Value::F64(f64::INFINITY));
    assert_eq!(get("bool"), Value::Bool(true));
    assert_eq!(get("none"), Value::Unit);
    unpack_err("same").await;
    unpack_err("boom").await;
    let e = unpack_err("complex").await;
    assert!(e.message.contains("complex"), "{}", e.message);
    unpack_err("generator_value").await;
    assert_eq!(
        build_ok("int_subclass").await,
        Value::Seq(vec![Value::I64(5), Value::Bool(true)])
    );
    assert_eq!(build_ok("str_subclass").await, s("sub"));
    assert_eq!(
        build_ok("dict_subclass").await,
        map_of(vec![(s("a"), Value::I64(2)), (s("b"), Value::I64(1))])
    );
    assert_eq!(
        build_ok("defaultdict").await,
        map_of(vec![(s("x"), Value::Seq(vec![Value::I64(1)]))])
    );

    // ---- big values
    match build_ok("big_string").await {
        Value::String(x) => assert_eq!(x.len(), 20 * 1024 * 1024),
        other => panic!("{:?}", std::mem::discriminant(&other)),
    }
    match build_ok("big_list").await {
        Value::Seq(x) => {
            assert_eq!(x.len(), 1_000_000);
            assert_eq!(x[999_999], Value::I64(999_999));
        }
        other => panic!("{:?}", std::mem::discriminant(&other)),
    }
    let big = Value::String("y".repeat(10 * 1024 * 1024));
    assert_eq!(echo(big.clone()).await.unwrap(), Some(big));

    // ---- exceptions
    let e = fail("badstr").await;
    assert_eq!(e.kind, ErrorKind::PyException);
    assert_eq!(e.exception.as_deref(), Some("BadStr"), "{e:#?}");
    assert!(e.message.contains("unprintable"), "{e:#?}");
    let e = fail("badrepr").await;
    assert_eq!(e.exception.as_deref(), Some("BadRepr"), "{e:#?}");
    let e = fail("system_exit").await;
    assert_eq!(e.exception.as_deref(), Some("SystemExit"), "{e:#?}");
    assert_eq!(e.message, "7");
    let e = fail("keyboard").await;
    assert_eq!(e.exception.as_deref(), Some("KeyboardInterrupt"), "{e:#?}");
    let e = fail("generator_exit").await;
    assert_eq!(e.exception.as_deref(), Some("GeneratorExit"), "{e:#?}");
    let e = fail("recursion").await;
    assert_eq!(e.exception.as_deref(), Some("RecursionError"), "{e:#?}");
    let e = fail("chained").await;
    assert_eq!(e.exception.as_deref(), Some("ValueError"), "{e:#?}");
    assert!(
        e.traceback.as_deref().unwrap_or("").contains("inner"),
        "the chained cause is in the traceback: {e:#?}"
    );
    let e = fail("memory").await;
    assert_eq!(e.exception.as_deref(), Some("MemoryError"), "{e:#?}");
    let e = fail("exception_group").await;
    assert_eq!(e.exception.as_deref(), Some("ExceptionGroup"), "{e:#?}");
    let e = fail("value").await;
    assert_eq!(e.exception.as_deref(), Some("ValueError"));
    assert_eq!(e.message, "value");
    assert!(
        e.traceback
            .as_deref()
            .unwrap_or("")
            .contains("adversarial_interp_values.py"),
        "{e:#?}"
    );

    // ---- context values of every kind
    let mut t = PyTask::new0(s("context"));
    t.set_context("bytes", Value::Bytes(vec![1, 2]));
    t.set_context("map", map_of(vec![(s("a"), Value::Seq(vec![Value::Unit]))]));
    t.set_context("u64", Value::U64(u64::MAX));
    t.set_context("text", s("\u{1F600}"));
    let ctx = within(10, "context", pime::call(t)).await.unwrap().unwrap();
    assert_eq!(
        ctx,
        map_of(vec![
            (s("bytes"), Value::Bytes(vec![1, 2])),
            (
                s("map"),
                map_of(vec![(s("a"), Value::Seq(vec![Value::Unit]))])
            ),
            (s("u64"), Value::U64(u64::MAX)),
            (s("text"), s("\u{1F600}")),
        ])
    );
    // A context does not leak into the next task.
    let ctx = within(10, "no context", pime::call(PyTask::new0(s("context")))).await;
    assert!(
        matches!(ctx, Ok(Some(Value::Map(ref m))) if m.is_empty()) || ctx == Ok(None),
        "{ctx:?}"
    );

    // Still serving; the numbers add up.
    assert_eq!(echo(s("alive")).await, Ok(Some(s("alive"))));
    let stats = pime::stats();
    assert_eq!(stats.in_flight, 0, "{stats:?}");
    assert_eq!(stats.queued, 0, "{stats:?}");
    assert_eq!(
        stats.submitted,
        stats.completed + stats.failed + stats.cancelled,
        "{stats:?}"
    );
    within(30, "stop", engine.stop()).await.unwrap();
}
