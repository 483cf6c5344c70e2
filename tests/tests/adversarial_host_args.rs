//! Adversarial: hostile arguments (objects the value table cannot convert, cycles,
//! 100,000-deep nesting, str subclasses with lying `__hash__`/`__eq__` as keyword
//! names, lone surrogates, bool for u64, ...) and hostile results (NaN, non-string
//! map keys, list keys, u128, a `Serialize` that fails, 5,000-deep `Value`, a
//! non-string panic payload) of host functions.
//!
//! README: "An unknown, missing or repeated argument, or a value that does not decode,
//! raises `TypeError` naming the argument (and the Rust type)." "`Err(pime::Error)`
//! raises `pime.HostError` ...; a panic raises `HostError` and the engine keeps
//! serving." Values: "Conversion never panics".

use std::collections::BTreeMap;

use pime::Value;
use pime_tests::host_support::{bounded, call_within, launch_host};
use pime_tests::s;

#[pime::host_module(module = "args_app")]
pub trait ArgsApp {
    fn takes_u64(&self, id: u64) -> pime::Result<u64>;
    fn takes_f64(&self, x: f64) -> pime::Result<String>;
    fn takes_value(&self, v: Value) -> pime::Result<String>;
    fn takes_opt(&self, a: u32, b: Option<String>) -> pime::Result<String>;
    fn takes_vec(&self, v: Vec<String>) -> pime::Result<usize>;
    fn echo_len(&self, s: String) -> pime::Result<usize>;
    async fn big_string(&self, n: usize) -> pime::Result<String>;
    fn nan(&self) -> pime::Result<f64>;
    fn int_keys(&self) -> pime::Result<BTreeMap<u64, String>>;
    fn seq_keys(&self) -> pime::Result<BTreeMap<Vec<u8>, String>>;
    fn u128_max(&self) -> pime::Result<u128>;
    fn bad_serialize(&self) -> pime::Result<BadSerialize>;
    fn deep(&self, n: usize) -> pime::Result<Value>;
    fn char_out(&self) -> pime::Result<char>;
    fn unit(&self) -> pime::Result<()>;
    fn panic_any_int(&self) -> pime::Result<()>;
    fn empty_error(&self) -> pime::Result<()>;
}

pub struct BadSerialize;

impl serde::Serialize for BadSerialize {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("BadSerialize refuses"))
    }
}

struct Impl;

impl ArgsApp for Impl {
    fn takes_u64(&self, id: u64) -> pime::Result<u64> {
        Ok(id)
    }
    fn takes_f64(&self, x: f64) -> pime::Result<String> {
        Ok(format!("{x}"))
    }
    fn takes_value(&self, v: Value) -> pime::Result<String> {
        let text = format!("{v:?}");
        Ok(text.chars().take(100).collect())
    }
    fn takes_opt(&self, a: u32, b: Option<String>) -> pime::Result<String> {
        Ok(format!("{a}:{b:?}"))
    }
    fn takes_vec(&self, v: Vec<String>) -> pime::Result<usize> {
        Ok(v.len())
    }
    fn echo_len(&self, s: String) -> pime::Result<usize> {
        Ok(s.len())
    }
    async fn big_string(&self, n: usize) -> pime::Result<String> {
        Ok("y".repeat(n))
    }
    fn nan(&self) -> pime::Result<f64> {
        Ok(f64::NAN)
    }
    fn int_keys(&self) -> pime::Result<BTreeMap<u64, String>> {
        Ok([(1, "one".into()), (2, "two".into())].into())
    }
    fn seq_keys(&self) -> pime::Result<BTreeMap<Vec<u8>, String>> {
        Ok([(vec![1, 2], "list key".into())].into())
    }
    fn u128_max(&self) -> pime::Result<u128> {
        Ok(u128::MAX)
    }
    fn bad_serialize(&self) -> pime::Result<BadSerialize> {
        Ok(BadSerialize)
    }
    fn deep(&self, n: usize) -> pime::Result<Value> {
        Ok(pime_tests::nested_lists(n, Value::I64(0)))
    }
    fn char_out(&self) -> pime::Result<char> {
        Ok('é')
    }
    fn unit(&self) -> pime::Result<()> {
        Ok(())
    }
    fn panic_any_int(&self) -> pime::Result<()> {
        std::panic::panic_any(42_i32)
    }
    fn empty_error(&self) -> pime::Result<()> {
        Err(pime::Error::new(pime::ErrorKind::ExecError, ""))
    }
}

fn get<'a>(table: &'a BTreeMap<Value, Value>, key: &str) -> &'a str {
    match table.get(&s(key)) {
        Some(Value::String(text)) => text,
        other => panic!("{key}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_arguments_and_results() {
    let engine = launch_host("adversarial_host_args", (1, 2), 5, ArgsAppHost::new(Impl)).await;
    let outcome = call_within(60, "attack", &[]).await;
    let table = match outcome {
        Ok(Some(Value::Map(table))) => table,
        other => panic!("attack: {other:?}"),
    };
    for (name, line) in &table {
        eprintln!("{name:?}: {line:?}");
    }
    let mut problems = Vec::new();
    let mut expect = |name: &str, ok: &dyn Fn(&str) -> bool, why: &str| {
        let line = get(&table, name);
        if !ok(line) {
            problems.push(format!("{name}: got {line:?}; expected {why}"));
        }
    };
    let type_error = |l: &str| l.starts_with("TypeError: ");
    let host_error = |l: &str| l.starts_with("HostError: ");
    let clear_error = |l: &str| {
        l.starts_with("TypeError: ")
            || l.starts_with("HostError: ")
            || l.starts_with("ValueError: ")
    };
    for name in [
        "set_of_objects",
        "socket",
        "recursive_list",
        "deep_list_300",
        "deep_list_100000",
        "int_2_100",
        "bool_for_u64",
        "none_for_u64",
        "str_for_vec",
        "positional_then_kw_same",
        "kw_only_b",
        "too_many_positional",
        "bytes_invalid_utf8_for_string",
        "surrogate_str_arg",
        "dunder_kw",
    ] {
        expect(name, &type_error, "TypeError naming the argument");
    }
    expect(
        "float_for_u64",
        &|l| type_error(l) || l == "ok: 1",
        "TypeError or 1",
    );
    expect("none_for_option", &|l| l == "ok: '1:None'", "'1:None'");
    expect(
        "nan_for_f64",
        &|l| l == "ok: 'NaN'",
        "NaN passes (value table)",
    );
    expect("int_for_f64", &|l| l == "ok: '3'", "an int decodes as f64");
    expect(
        "tuple_for_vec",
        &|l| l == "ok: 2",
        "a tuple decodes as a list",
    );
    expect(
        "str_subclass_key",
        &|l| type_error(l) || l == "ok: 5",
        "TypeError or 5",
    );
    expect("surrogate_key", &type_error, "TypeError");
    // serde's String visitor takes UTF-8 bytes: `bytes` silently becomes a `String`.
    expect(
        "bytes_for_string",
        &|l| type_error(l) || l == "ok: 3",
        "TypeError or 3",
    );
    expect(
        "call_module_attr_aio_sync",
        &|l| l.starts_with("RuntimeError: "),
        "RuntimeError (aio outside a loop)",
    );
    expect(
        "getattr_missing",
        &|l| l.starts_with("AttributeError: "),
        "AttributeError",
    );
    expect("nan_result", &|l| l == "ok: nan", "nan");
    expect(
        "int_keys_result",
        &|l| l == "ok: {1: 'one', 2: 'two'}",
        "an int-keyed dict",
    );
    expect(
        "seq_keys_result",
        &clear_error,
        "a clear error (a list cannot be a dict key)",
    );
    expect(
        "u128_result",
        &clear_error,
        "a clear error (u128 is not in the value table)",
    );
    expect(
        "bad_serialize_result",
        &|l| host_error(l) && l.contains("BadSerialize refuses"),
        "HostError with the serde message",
    );
    expect(
        "deep_result_300",
        &clear_error,
        "a clear error (deeper than MAX_DEPTH)",
    );
    expect(
        "deep_result_5000",
        &clear_error,
        "a clear error (deeper than MAX_DEPTH)",
    );
    expect("char_result", &|l| l == "ok: 'é'", "'é'");
    expect("unit_result", &|l| l == "ok: None", "None");
    expect("panic_any_int", &host_error, "HostError");
    expect("err_with_empty_message", &host_error, "HostError");

    // 50 MB both ways.
    let n = 50_000_000_u64;
    let big = call_within(60, "big_roundtrip", &[("n", Value::U64(n))]).await;
    if big
        != Ok(Some(Value::Seq(vec![
            Value::I64(n as i64),
            Value::I64(n as i64),
        ])))
    {
        problems.push(format!("big_roundtrip: {big:?}"));
    }

    // Arguments are not leaked.
    let counts = call_within(60, "refcount_check", &[("n", Value::U64(2000))])
        .await
        .unwrap()
        .unwrap();
    eprintln!("refcounts before/after: {counts:?}");
    let Value::Seq(pair) = &counts else { panic!() };
    if pair[0] != pair[1] {
        problems.push(format!(
            "argument refcounts grew over 2,000 calls: {counts:?}"
        ));
    }

    // Still serving.
    let alive = call_within(10, "big_roundtrip", &[("n", Value::U64(3))]).await;
    assert!(alive.is_ok(), "{alive:?}");
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
