//! With the `tracing` feature, one request's trace holds its Python work: each call
//! runs in a `pime.call` span under the caller's span (on a worker thread and on the
//! event loop), Python log records are events in it with their logger, file and
//! line, and host functions (and the calls they make) run inside it. Checked with a
//! real subscriber (a `tracing-subscriber` layer that records what it is given).

use std::time::Duration;

use pime::{host_module, Value};
use pime_tests::trace_recorder::{EventInfo, Recorder, SpanInfo};
use pime_tests::{s, task};
use tracing::Instrument;

#[host_module(module = "traced_host")]
pub trait TracedHost {
    fn lookup(&self, key: String) -> pime::Result<String>;
    async fn call_back(&self, text: String) -> pime::Result<String>;
}

struct Host;

impl TracedHost for Host {
    fn lookup(&self, key: String) -> pime::Result<String> {
        tracing::info!(key = key.as_str(), "host lookup");
        Ok(format!("value of {key}"))
    }
    async fn call_back(&self, text: String) -> pime::Result<String> {
        tracing::info!("host calls back");
        match pime::call(task("log_sync", &[("text", s(&text))])).await? {
            Some(Value::String(text)) => Ok(text),
            other => Ok(format!("{other:?}")),
        }
    }
}

/// The span names of the event whose message contains `needle`.
fn scope_of(events: &[EventInfo], needle: &str) -> (EventInfo, Vec<String>) {
    let event = events
        .iter()
        .find(|e| e.fields.get("message").is_some_and(|m| m.contains(needle)))
        .unwrap_or_else(|| panic!("no event with {needle:?} among {events:#?}"))
        .clone();
    let names = event.scope.iter().map(|span| span.name.clone()).collect();
    (event, names)
}

fn command_of(span: &SpanInfo) -> &str {
    span.fields.get("command").map(String::as_str).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_trace_holds_its_python_work() {
    let recorder = Recorder::install();
    tokio::time::timeout(Duration::from_secs(60), scenario(recorder))
        .await
        .expect("the tracing scenario finishes in time");
}

async fn scenario(recorder: Recorder) {
    let engine = pime_tests::start_with("traced_plugin", |builder| {
        builder.thread_pool(1, 2).host(TracedHostHost::new(Host))
    })
    .await;

    let request = tracing::info_span!("request", id = 7);
    async {
        for command in ["log_sync", "log_async"] {
            let echoed = pime::call(task(command, &[("text", s(command))]))
                .await
                .unwrap();
            assert_eq!(echoed, Some(s(command)));
        }
        pime::call(task("host_sync", &[("key", s("a"))]))
            .await
            .unwrap();
        pime::call(task("host_async", &[("key", s("b"))]))
            .await
            .unwrap();
        pime::call(task("nested", &[("text", s("deep"))]))
            .await
            .unwrap();
    }
    .instrument(request)
    .await;
    // Outside any span: the call's span is a root.
    pime::call(task("log_sync", &[("text", s("alone"))]))
        .await
        .unwrap();
    engine.stop().await.unwrap();

    let events = recorder.events();
    let source =
        std::fs::read_to_string(format!("{}/traced_plugin.py", pime_tests::PYTHON_DIR)).unwrap();
    let line_of =
        |marker: &str| (source.lines().position(|l| l.contains(marker)).unwrap() + 1).to_string();

    // A sync command's log line: on a worker thread, inside pime.call inside request.
    let (event, names) = scope_of(&events, "sync line log_sync");
    assert_eq!(names, ["pime.call", "request"], "{event:#?}");
    assert_eq!(command_of(&event.scope[0]), "log_sync");
    assert_eq!(
        event.scope[1].fields.get("id").map(String::as_str),
        Some("7")
    );
    assert_eq!(event.target, "python");
    assert_eq!(event.level, tracing::Level::INFO);
    assert_eq!(
        event.fields.get("logger").map(String::as_str),
        Some("plugin.traced")
    );
    assert!(
        event.fields["file"].ends_with("traced_plugin.py"),
        "{event:#?}"
    );
    assert_eq!(event.fields["line"], line_of("LINE_SYNC"));

    // An async command's, on the event loop.
    let (event, names) = scope_of(&events, "async line log_async");
    assert_eq!(names, ["pime.call", "request"], "{event:#?}");
    assert_eq!(command_of(&event.scope[0]), "log_async");
    assert_eq!(event.level, tracing::Level::WARN);
    assert_eq!(event.fields["line"], line_of("LINE_ASYNC"));

    // Host functions, sync and awaited, run inside the call that made them.
    let lookups: Vec<&EventInfo> = events
        .iter()
        .filter(|e| e.fields.get("message").is_some_and(|m| m == "host lookup"))
        .collect();
    assert_eq!(lookups.len(), 2, "{events:#?}");
    for (lookup, command) in lookups.iter().zip(["host_sync", "host_async"]) {
        let names: Vec<&str> = lookup.scope.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["pime.call", "request"], "{lookup:#?}");
        assert_eq!(command_of(&lookup.scope[0]), command);
    }

    // A call a host function makes is a child of the call that made the host call.
    let (event, names) = scope_of(&events, "sync line deep");
    assert_eq!(names, ["pime.call", "pime.call", "request"], "{event:#?}");
    assert_eq!(command_of(&event.scope[0]), "log_sync");
    assert_eq!(command_of(&event.scope[1]), "nested");
    let (_, names) = scope_of(&events, "host calls back");
    assert_eq!(names, ["pime.call", "request"]);

    let (_, names) = scope_of(&events, "sync line alone");
    assert_eq!(names, ["pime.call"]);
}
