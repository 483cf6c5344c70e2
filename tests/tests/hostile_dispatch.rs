//! Untrusted command names and param keys reaching a broker built with the `pime`
//! dispatch helper (`pime.Broker`), end to end through the engine: names such as
//! `__class__`, `_private`, `os`, `system`, `eval`, `../x`, `a.b`, the empty string,
//! a 10 KB string, non-strings; param keys such as `__class__`, `self`, `**`. Each
//! gives its caller a `PyException` — `UnknownCommandError` or `TypeError` — with a
//! short, clear message, on the pool, as an exclusive task and as `no_wait`; and
//! nothing else ran: the module records every command call, and a Python audit hook
//! armed for the duration records any shell, process or dynamic-code event.

use std::collections::BTreeMap;

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{s, start, task, with_python, within};
use pyo3::prelude::*;

/// Calls `task` three ways (pooled, exclusive, `no_wait`); returns the pooled and
/// exclusive outcomes, which must be the same.
async fn call_every_way(task: PyTask, label: &str) -> pime::Result<Option<Value>> {
    let pooled = within(10, label, pime::call(task.clone())).await;
    let mut exclusive = task.clone();
    exclusive.mark_exclusive();
    let inline = within(10, label, pime::call(exclusive)).await;
    assert_eq!(pooled, inline, "{label}: pooled and exclusive differ");
    let mut fire = task;
    fire.no_wait();
    assert_eq!(
        within(10, label, pime::call(fire)).await,
        Ok(None),
        "{label}"
    );
    pooled
}

fn assert_refused(outcome: pime::Result<Option<Value>>, class: &str, needle: &str, label: &str) {
    let error = outcome.expect_err(label);
    assert_eq!(error.kind, ErrorKind::PyException, "{label}: {error}");
    assert_eq!(error.exception.as_deref(), Some(class), "{label}: {error}");
    assert!(
        error.message.contains(needle),
        "{label}: message {:?} does not say {needle:?}",
        error.message
    );
    assert!(
        error.message.len() <= 400,
        "{label}: a {} byte message",
        error.message.len()
    );
}

async fn calls_and_audit() -> (Vec<String>, Vec<String>) {
    let recorded = with_python(|py| -> PyResult<(Vec<String>, Vec<String>)> {
        py.import("hostile_broker")?
            .call_method0("calls")?
            .extract()
    })
    .await;
    recorded.expect("hostile_broker.calls()")
}

async fn arm_audit(on: bool) {
    with_python(move |py| -> PyResult<()> {
        py.import("hostile_broker")?.call_method1("arm", (on,))?;
        Ok(())
    })
    .await
    .expect("hostile_broker.arm()");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_commands_and_params_reach_nothing() {
    let engine = within(30, "start", start("hostile_broker", 2, 2)).await;
    let greeted = within(
        10,
        "hello",
        pime::call(task("hello", &[("name", s("before"))])),
    )
    .await;
    assert_eq!(greeted, Ok(Some(s("Hello, before!"))));
    arm_audit(true).await;

    let long_name = "x".repeat(10 * 1024);
    let string_commands = [
        "__class__",
        "__init__",
        "__call__",
        "__dict__",
        "_private",
        "_functions",
        "os",
        "system",
        "eval",
        "exec",
        "__import__",
        "broker",
        "CALLS",
        "command",
        "commands",
        "../x",
        "../../etc/passwd",
        "a.b",
        "greeter",
        "greeter.",
        ".hello",
        "greeter.hello.__class__",
        "hello.__globals__",
        "",
        " hello",
        "hello ",
        "HELLO",
        "hello\0",
        "os.system('true')",
        "__import__('os').system('true')",
        long_name.as_str(),
    ];
    for command in string_commands {
        let label = format!("command {:?}", command.chars().take(40).collect::<String>());
        let outcome = call_every_way(task(command, &[("name", s("attacker"))]), &label).await;
        assert_refused(outcome, "UnknownCommandError", "unknown command", &label);
    }
    // The 10 KB name is cut short in the message; the registered names are listed.
    let outcome = within(10, "long", pime::call(task(&long_name, &[]))).await;
    let message = outcome.unwrap_err().message;
    assert!(
        message.contains("available commands: hello, add, greeter.hello"),
        "{message}"
    );

    let not_strings = [
        Value::Unit,
        Value::Bool(true),
        Value::I64(1),
        Value::F64(1.5),
        Value::Bytes(b"hello".to_vec()),
        Value::Seq(vec![s("hello")]),
        Value::Map(BTreeMap::from([(s("hello"), s("hello"))])),
    ];
    for command in not_strings {
        let label = format!("command {command:?}");
        let outcome = call_every_way(PyTask::new(command, BTreeMap::new()), &label).await;
        assert_refused(
            outcome,
            "UnknownCommandError",
            "command must be a str",
            &label,
        );
    }

    let bad_keys = [
        "__class__",
        "__init__",
        "__dict__",
        "**",
        "*",
        "",
        "a b",
        "1abc",
        "name\0",
        "name; import os",
        "__import__('os')",
        "k\u{e9}y-\u{1f600}",
    ];
    for key in bad_keys {
        let label = format!("param key {:?}", key.chars().take(40).collect::<String>());
        let hostile = task("hello", &[("name", s("attacker")), (key, s("x"))]);
        let outcome = call_every_way(hostile, &label).await;
        assert_refused(outcome, "TypeError", "invalid parameter name", &label);
    }
    // Identifier keys the command does not take are the command's own TypeError.
    for key in ["self", "cls", "kwargs", "command", "params", "fn"] {
        let label = format!("param key {key:?}");
        let hostile = task("hello", &[("name", s("attacker")), (key, s("x"))]);
        let outcome = call_every_way(hostile, &label).await;
        assert_refused(outcome, "TypeError", "unexpected keyword argument", &label);
    }
    // So is a 10 KB identifier key; Python's own message quotes it whole (its length
    // follows the input's, it is not amplified).
    let long_key = "k".repeat(10 * 1024);
    let hostile = task("hello", &[("name", s("attacker")), (&long_key, s("x"))]);
    let error = call_every_way(hostile, "10 KB key").await.unwrap_err();
    assert_eq!(error.exception.as_deref(), Some("TypeError"), "{error}");
    assert!(
        error.message.contains("unexpected keyword argument"),
        "{error}"
    );
    assert!(
        error.message.len() < long_key.len() + 100,
        "{} bytes",
        error.message.len()
    );
    // Missing params too.
    let outcome = call_every_way(task("add", &[("a", Value::I64(1))]), "missing b").await;
    assert_refused(
        outcome,
        "TypeError",
        "missing 1 required positional argument",
        "missing b",
    );

    arm_audit(false).await;
    // The helper still serves registered commands, and nothing but them ever ran.
    let greeted = within(
        10,
        "hello",
        pime::call(task("hello", &[("name", s("after"))])),
    )
    .await;
    assert_eq!(greeted, Ok(Some(s("Hello, after!"))));
    let added = within(
        10,
        "add",
        pime::call(task("add", &[("a", Value::I64(2)), ("b", Value::I64(3))])),
    )
    .await;
    assert_eq!(added, Ok(Some(Value::I64(5))));
    let (calls, audit_events) = calls_and_audit().await;
    assert_eq!(calls, ["hello before", "hello after", "add 2 3"]);
    assert!(audit_events.is_empty(), "audited events: {audit_events:?}");
    within(30, "stop", engine.stop()).await.unwrap();
}
