//! Adversarial: task context (and tracing span) of a host call on `.thread_pool(1, 1)`
//! while *another* task with another context runs meanwhile (on the worker started in
//! the waiting worker's lent place); concurrent aio calls with different contexts; a
//! context the plugin poisons with an unconvertible value.
//!
//! README: "`pime::context()` in a host function returns the context of the task whose
//! Python code called it"; Tracing: "host functions the plugin calls run inside the
//! same span".

use pime::Value;
use pime_tests::host_support::{
    bounded, call_within, launch_host, open_gate, poll_until, wait_gate,
};
use pime_tests::trace_recorder::Recorder;
use pime_tests::{s, task};

#[pime::host_module(module = "ctx_app")]
pub trait CtxApp {
    /// [request_id before, request_id after] waiting for `gate`.
    async fn around(&self, gate: String) -> pime::Result<Vec<Option<String>>>;
    fn read(&self) -> pime::Result<Option<String>>;
    async fn nested_read(&self) -> pime::Result<String>;
}

fn rid() -> Option<String> {
    match pime::context().get("request_id") {
        Some(Value::String(id)) => Some(id.clone()),
        _ => None,
    }
}

struct Impl;

impl CtxApp for Impl {
    async fn around(&self, gate: String) -> pime::Result<Vec<Option<String>>> {
        let before = rid();
        tracing::info!("host before {gate}");
        wait_gate(&gate).await;
        tracing::info!("host after {gate}");
        Ok(vec![before, rid()])
    }
    fn read(&self) -> pime::Result<Option<String>> {
        tracing::info!("host read");
        Ok(rid())
    }
    async fn nested_read(&self) -> pime::Result<String> {
        Ok(format!("{:?}", pime::call(task("ctx_read", &[])).await))
    }
}

fn with_rid(command: &str, params: &[(&str, Value)], id: &str) -> pime::PyTask {
    let mut t = task(command, params);
    t.set_context("request_id", s(id));
    t
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(entries.iter().map(|(k, v)| (s(k), v.clone())).collect())
}

async fn wait_event(recorder: &Recorder, message: &str) {
    let seen = || {
        recorder
            .events()
            .iter()
            .any(|e| e.message() == Some(message))
    };
    assert!(poll_until(10, seen).await, "no event {message:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_and_span_while_another_task_runs() {
    let recorder = Recorder::install();
    let engine = launch_host("adversarial_host_context", (1, 1), 3, CtxAppHost::new(Impl)).await;
    let mut problems = Vec::new();

    // r1 waits in a sync host call; r2 runs meanwhile on the same (only) worker.
    let outer = pime_tests::spawn_sent(with_rid("ctx_wait", &[("gate", s("g1"))], "r1")).await;
    wait_event(&recorder, "host before g1").await;
    let inner = bounded(
        "ctx_read while r1 waits",
        10,
        pime::call(with_rid("ctx_read", &[], "r2")),
    )
    .await;
    let want_inner = map(&[("py", s("r2")), ("host", s("r2"))]);
    if inner != Ok(Some(want_inner)) {
        problems.push(format!("the task served meanwhile (r2) saw: {inner:?}"));
    }
    open_gate("g1");
    let outer = bounded("ctx_wait", 10, outer).await.unwrap();
    let want_outer = map(&[
        ("py_before", s("r1")),
        ("host", Value::Seq(vec![s("r1"), s("r1")])),
        ("py_after", s("r1")),
    ]);
    if outer != Ok(Some(want_outer)) {
        problems.push(format!(
            "the waiting task (r1) saw after r2 ran on its thread: {outer:?}"
        ));
    }

    // Two aio calls at once, different contexts, woken in reverse order.
    let a = pime_tests::spawn_sent(with_rid("ctx_wait_async", &[("gate", s("g3"))], "r3")).await;
    let b = pime_tests::spawn_sent(with_rid("ctx_wait_async", &[("gate", s("g4"))], "r4")).await;
    wait_event(&recorder, "host before g3").await;
    wait_event(&recorder, "host before g4").await;
    open_gate("g4");
    let b = bounded("r4", 10, b).await.unwrap();
    open_gate("g3");
    let a = bounded("r3", 10, a).await.unwrap();
    for (got, id) in [(a, "r3"), (b, "r4")] {
        let want = map(&[
            ("py_before", s(id)),
            ("host", Value::Seq(vec![s(id), s(id)])),
            ("py_after", s(id)),
        ]);
        if got != Ok(Some(want)) {
            problems.push(format!("concurrent aio {id}: {got:?}"));
        }
    }

    // Spans: each host event is inside its own task's pime.call.
    let events = recorder.events();
    for (message, command) in [
        ("host before g1", "ctx_wait"),
        ("host after g1", "ctx_wait"),
        ("host read", "ctx_read"),
        ("host before g3", "ctx_wait_async"),
        ("host after g3", "ctx_wait_async"),
        ("host after g4", "ctx_wait_async"),
    ] {
        let scope = events
            .iter()
            .find(|e| e.message() == Some(message))
            .map(|e| e.call_commands());
        if scope.as_ref().and_then(|s| s.first()).map(String::as_str) != Some(command) {
            problems.push(format!(
                "event {message:?}: pime.call spans {scope:?}, expected innermost {command:?}"
            ));
        }
    }

    // The plugin poisons its own context.
    let poisoned = bounded(
        "poison_context",
        10,
        pime::call(with_rid("poison_context", &[], "r5")),
    )
    .await;
    eprintln!("poisoned context: {poisoned:?}");
    match &poisoned {
        Ok(Some(Value::String(text))) if text.starts_with("read-only") => {}
        Ok(Some(Value::Map(m))) => {
            if m.get(&s("read")) != Some(&s("r5")) {
                problems.push(format!(
                    "a host call after the plugin put object() in pime.context(): {poisoned:?}"
                ));
            }
        }
        other => problems.push(format!("poison_context: {other:?}")),
    }

    let alive = call_within(10, "ctx_read", &[]).await;
    assert_eq!(
        alive,
        Ok(Some(map(&[("py", Value::Unit), ("host", Value::Unit)])))
    );
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
