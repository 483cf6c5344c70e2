//! Host modules against a real interpreter: Python calls typed Rust functions, sync
//! and async, with values both ways, every error path, panics, cancellation, nested
//! calls back into Python on a pool of one, two modules, context, and the stub.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pime::{host_module, ErrorKind, Value};
use pime_tests::{call_ok, s, task};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct User {
    id: u64,
    name: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Point {
    x: f64,
    y: f64,
    label: Option<String>,
}

/// What plugins may ask of the host.
#[host_module(module = "app")]
pub trait App {
    /// The user with this id.
    async fn get_user(&self, id: u64) -> pime::Result<User>;
    /// The host's version.
    fn version(&self) -> pime::Result<String>;
    async fn shift(&self, point: Point, dx: f64) -> pime::Result<Point>;
    async fn fail(&self, message: String) -> pime::Result<()>;
    fn panics(&self) -> pime::Result<()>;
    async fn panics_async(&self) -> pime::Result<()>;
    async fn sleep(&self, ms: u64) -> pime::Result<()>;
    /// Calls back into Python: `nested(depth)` or `nested_async(depth)`.
    async fn nest(&self, depth: u32, asynchronous: bool) -> pime::Result<String>;
    /// The caller's `request_id` context value.
    async fn request_id(&self) -> pime::Result<Option<String>>;
    fn optional(&self, a: u32, b: Option<String>) -> pime::Result<String>;
    /// Sends an exclusive task (from a sync call of an exclusive task: refused).
    async fn nest_exclusive(&self) -> pime::Result<String>;
}

/// A second module.
#[host_module(module = "store")]
pub trait Store {
    fn get(&self, key: String) -> pime::Result<Option<i64>>;
}

struct MyApp {
    /// Host sleeps whose future was dropped before it ended.
    sleeps_dropped: Arc<AtomicUsize>,
}

/// Counts itself when dropped before `done`.
struct DropCounter(Arc<AtomicUsize>, bool);

impl Drop for DropCounter {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl App for MyApp {
    async fn get_user(&self, id: u64) -> pime::Result<User> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(User {
            id,
            name: format!("user {id}"),
        })
    }
    fn version(&self) -> pime::Result<String> {
        Ok("1.2.3".into())
    }
    async fn shift(&self, point: Point, dx: f64) -> pime::Result<Point> {
        Ok(Point {
            x: point.x + dx,
            label: point.label.map(|l| format!("{l}'")),
            ..point
        })
    }
    async fn fail(&self, message: String) -> pime::Result<()> {
        Err(pime::Error::new(ErrorKind::ExecError, message))
    }
    fn panics(&self) -> pime::Result<()> {
        panic!("the host panicked on purpose")
    }
    async fn panics_async(&self) -> pime::Result<()> {
        tokio::task::yield_now().await;
        panic!("the async host panicked on purpose")
    }
    async fn sleep(&self, ms: u64) -> pime::Result<()> {
        let mut guard = DropCounter(Arc::clone(&self.sleeps_dropped), false);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        guard.1 = true;
        Ok(())
    }
    async fn nest(&self, depth: u32, asynchronous: bool) -> pime::Result<String> {
        let command = if asynchronous {
            "nested_async"
        } else {
            "nested"
        };
        let inner = pime::call(task(command, &[("depth", Value::U32(depth))])).await?;
        match inner {
            Some(Value::String(text)) => Ok(format!("{depth}/{text}")),
            other => Err(pime::Error::new(
                ErrorKind::UnpackError,
                format!("{other:?}"),
            )),
        }
    }
    async fn request_id(&self) -> pime::Result<Option<String>> {
        Ok(match pime::context().get("request_id") {
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        })
    }
    fn optional(&self, a: u32, b: Option<String>) -> pime::Result<String> {
        Ok(format!("{a}:{b:?}"))
    }
    async fn nest_exclusive(&self) -> pime::Result<String> {
        let mut exclusive = task("nested", &[("depth", Value::U32(0))]);
        exclusive.mark_exclusive();
        match pime::call(exclusive).await? {
            Some(Value::String(text)) => Ok(text),
            other => Ok(format!("{other:?}")),
        }
    }
}

struct MyStore;

impl Store for MyStore {
    fn get(&self, key: String) -> pime::Result<Option<i64>> {
        Ok((key == "answer").then_some(42))
    }
}

async fn call_host(name: &str, args: Vec<Value>, kwargs: &[(&str, Value)]) -> Value {
    let kwargs = kwargs.iter().map(|(k, v)| (s(k), v.clone())).collect();
    call_ok(
        "call_host",
        &[
            ("name", s(name)),
            ("args", Value::Seq(args)),
            ("kwargs", Value::Map(kwargs)),
        ],
    )
    .await
}

fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    match value {
        Value::Map(map) => map
            .get(&s(key))
            .unwrap_or_else(|| panic!("no `{key}` in {value:?}")),
        other => panic!("not a dict: {other:?}"),
    }
}

fn text(value: &Value) -> &str {
    match value {
        Value::String(text) => text,
        other => panic!("not a str: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_calls_the_host() {
    tokio::time::timeout(Duration::from_secs(120), scenario())
        .await
        .expect("the host scenario finishes in time");
}

async fn scenario() {
    let sleeps_dropped = Arc::new(AtomicUsize::new(0));
    let engine = pime_tests::start_with("host_plugin", |builder| {
        builder
            .thread_pool(1, 1)
            .host(AppHost::new(MyApp {
                sleeps_dropped: Arc::clone(&sleeps_dropped),
            }))
            .host(StoreHost::new(MyStore))
    })
    .await;

    // Sync and async host calls, typed values both ways, two modules.
    assert_eq!(
        call_ok("user_name", &[("id", Value::U64(7))]).await,
        s("user 7")
    );
    assert_eq!(
        call_ok("user_name_async", &[("id", Value::U64(8))]).await,
        s("user 8")
    );
    assert_eq!(
        call_ok("versions", &[]).await,
        Value::Seq(vec![s("1.2.3"), Value::I64(42), Value::Unit])
    );
    assert_eq!(call_ok("version_async", &[]).await, s("1.2.3"));
    let point = Value::Map(
        [
            (s("x"), Value::F64(1.0)),
            (s("y"), Value::F64(2.0)),
            (s("label"), s("p")),
        ]
        .into_iter()
        .collect(),
    );
    let shifted = call_ok("shift", &[("point", point)]).await;
    assert_eq!(field(&shifted, "x"), &Value::F64(2.5));
    assert_eq!(field(&shifted, "label"), &s("p'"));

    // Positional, keyword and left-out optional arguments.
    let ok = call_host("optional", vec![Value::U32(1)], &[]).await;
    assert_eq!(field(&ok, "ok"), &s("1:None"));
    let ok = call_host("optional", vec![], &[("a", Value::U32(2)), ("b", s("x"))]).await;
    assert_eq!(field(&ok, "ok"), &s("2:Some(\"x\")"));

    // Errors: Err(..) raises pime.HostError with the message and the kind.
    let failed = call_host("fail", vec![], &[("message", s("nope"))]).await;
    assert_eq!(field(&failed, "error"), &s("HostError"));
    assert_eq!(field(&failed, "message"), &s("nope"));
    assert_eq!(field(&failed, "kind"), &s("ExecError"));
    assert_eq!(field(&failed, "is_exception"), &Value::Bool(true));
    // Unknown, missing, duplicated and undecodable arguments raise TypeError naming them.
    let unknown = call_host(
        "get_user",
        vec![],
        &[("id", Value::U64(1)), ("idd", Value::U64(1))],
    )
    .await;
    assert_eq!(field(&unknown, "error"), &s("TypeError"));
    assert!(text(field(&unknown, "message")).contains("unexpected keyword argument 'idd'"));
    let missing = call_host("get_user", vec![], &[]).await;
    assert_eq!(field(&missing, "error"), &s("TypeError"));
    assert!(
        text(field(&missing, "message")).contains("missing required argument: 'id'"),
        "{missing:?}"
    );
    let twice = call_host("get_user", vec![Value::U64(1)], &[("id", Value::U64(1))]).await;
    assert!(text(field(&twice, "message")).contains("multiple values for argument 'id'"));
    let too_many = call_host("version", vec![Value::U64(1)], &[]).await;
    assert!(text(field(&too_many, "message")).contains("takes 0 arguments but 1 was given"));
    let wrong = call_host("get_user", vec![], &[("id", s("seven"))]).await;
    assert_eq!(field(&wrong, "error"), &s("TypeError"));
    let message = text(field(&wrong, "message"));
    assert!(
        message.contains("'id'") && message.contains("`u64`"),
        "{message}"
    );
    let negative = call_host("get_user", vec![Value::I64(-1)], &[]).await;
    assert_eq!(field(&negative, "error"), &s("TypeError"));
    let bad_point = call_host(
        "shift",
        vec![],
        &[("point", s("p")), ("dx", Value::F64(1.0))],
    )
    .await;
    assert!(
        text(field(&bad_point, "message")).contains("`Point`"),
        "{bad_point:?}"
    );

    // Panics raise HostError, and the engine keeps serving.
    for name in ["panics", "panics_async"] {
        let panicked = call_host(name, vec![], &[]).await;
        assert_eq!(field(&panicked, "error"), &s("HostError"), "{panicked:?}");
        assert!(text(field(&panicked, "message")).contains("panicked on purpose"));
    }
    let panicked = call_ok(
        "call_host_async",
        &[
            ("name", s("panics_async")),
            ("args", Value::Seq(vec![])),
            ("kwargs", Value::Map(Default::default())),
        ],
    )
    .await;
    assert_eq!(field(&panicked, "error"), &s("HostError"));
    assert_eq!(call_ok("version_async", &[]).await, s("1.2.3"));

    // A HostError that escapes reaches the Rust caller with its traceback.
    let escaped = pime::call(task("fail_escapes", &[])).await.unwrap_err();
    assert_eq!(escaped.kind, ErrorKind::PyException);
    assert_eq!(escaped.exception.as_deref(), Some("HostError"));
    assert!(escaped.message.contains("no such user"));
    assert!(
        escaped
            .traceback
            .as_deref()
            .is_some_and(|tb| tb.contains("fail_escapes")),
        "{escaped:#}"
    );

    // Cancelling an aio call drops the Rust future.
    assert_eq!(call_ok("cancel_aio", &[]).await, s("cancelled"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while sleeps_dropped.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the host future was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The wrong form in the wrong place is a clear error, not a hang.
    let on_loop = call_ok("sync_call_on_the_loop", &[]).await;
    assert!(
        text(&on_loop).contains("await app.aio.get_user"),
        "{on_loop:?}"
    );
    let no_loop = call_ok("aio_without_a_loop", &[]).await;
    assert!(
        text(&no_loop).contains("call `app.get_user()`"),
        "{no_loop:?}"
    );

    // Nested calls back into Python complete on a pool of one, three levels deep.
    assert_eq!(
        call_ok("nested", &[("depth", Value::U32(3))]).await,
        s("2/1/0/bottom")
    );
    assert_eq!(
        call_ok("nested_async", &[("depth", Value::U32(3))]).await,
        s("2/1/0/bottom")
    );
    // Several at once, on the one worker.
    let many: Vec<_> = (0..8)
        .map(|_| tokio::spawn(call_ok("nested", &[("depth", Value::U32(2))])))
        .collect();
    for handle in many {
        assert_eq!(handle.await.unwrap(), s("1/0/bottom"));
    }

    // The caller's context reaches the host function.
    for command in ["request_id", "request_id_async"] {
        let mut with_context = task(command, &[]);
        with_context.set_context("request_id", s("req-42"));
        assert_eq!(pime::call(with_context).await.unwrap(), Some(s("req-42")));
        assert_eq!(pime::call(task(command, &[])).await.unwrap(), None);
    }

    // Nested tasks inherit the context.
    let mut nested = task("nested", &[("depth", Value::U32(1))]);
    nested.set_context("request_id", s("req-7"));
    assert_eq!(pime::call(nested).await.unwrap(), Some(s("0/bottom")));

    // From an exclusive task: a nested pooled task runs; one that needs the engine
    // thread, which waits for the host call, is refused rather than left to hang.
    let mut exclusive = task("nested", &[("depth", Value::U32(2))]);
    exclusive.mark_exclusive();
    assert_eq!(pime::call(exclusive).await.unwrap(), Some(s("1/0/bottom")));
    let mut exclusive = task(
        "call_host",
        &[
            ("name", s("nest_exclusive")),
            ("args", Value::Seq(vec![])),
            ("kwargs", Value::Map(Default::default())),
        ],
    );
    exclusive.mark_exclusive();
    let refused = pime::call(exclusive).await.unwrap().unwrap();
    assert_eq!(field(&refused, "error"), &s("HostError"));
    assert!(text(field(&refused, "message")).contains("needs the engine thread"));
    // The same from a pooled task is fine.
    let allowed = call_host("nest_exclusive", vec![], &[]).await;
    assert_eq!(field(&allowed, "ok"), &s("bottom"));

    // The generated .pyi parses, and names what the module holds.
    for (name, stub) in [
        ("app", AppHost::<MyApp>::PYTHON_STUB),
        ("store", StoreHost::<MyStore>::PYTHON_STUB),
    ] {
        let checked = call_ok("check_stub", &[("name", s(name)), ("stub", s(stub))]).await;
        assert_eq!(
            field(&checked, "functions"),
            field(&checked, "module"),
            "{stub}"
        );
        assert_eq!(
            field(&checked, "awaitables"),
            field(&checked, "aio"),
            "{stub}"
        );
        assert_ne!(field(&checked, "functions"), &Value::Seq(vec![]));
    }
    let checked = call_ok(
        "check_stub",
        &[
            ("name", s("app")),
            ("stub", s(AppHost::<MyApp>::PYTHON_STUB)),
        ],
    )
    .await;
    assert!(text(field(&checked, "docstring")).contains("What plugins may ask of the host."));
    assert_eq!(
        field(&checked, "doc"),
        &s("What plugins may ask of the host.")
    );
    assert_eq!(
        field(field(&checked, "function_docs"), "get_user"),
        &s("The user with this id.")
    );
    assert_eq!(
        field(field(&checked, "aio_docs"), "get_user"),
        &s("The user with this id.")
    );
    assert_eq!(
        field(field(&checked, "names"), "get_user"),
        &Value::Seq(vec![s("get_user"), s("app"), Value::Bool(true)])
    );
    assert_eq!(
        field(field(&checked, "aio_names"), "get_user"),
        &Value::Seq(vec![s("get_user"), s("app")])
    );
    assert!(AppHost::<MyApp>::PYTHON_STUB.contains("def get_user(id: int) -> Any:"));
    assert!(AppHost::<MyApp>::PYTHON_STUB.contains("async def get_user(id: int) -> Any:"));
    assert!(AppHost::<MyApp>::PYTHON_STUB
        .contains("def optional(a: int, b: str | None = None) -> str:"));
    assert_eq!(AppHost::<MyApp>::MODULE, "app");

    // Every kind of command calls the host: generators (sync and async) between
    // items, a no_wait task, a typed-style command with a dict result (above).
    for command in ["users", "users_async"] {
        let mut stream = pime::call_stream(task(command, &[("n", Value::U32(3))]))
            .await
            .unwrap();
        let mut names = Vec::new();
        while let Some(item) = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an item in time")
        {
            names.push(item.unwrap());
        }
        assert_eq!(names, [s("user 0"), s("user 1"), s("user 2")], "{command}");
    }
    let mut no_wait = task("note_version", &[]);
    no_wait.no_wait();
    assert_eq!(pime::call(no_wait).await.unwrap(), None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while call_ok("notes", &[]).await != Value::Seq(vec![s("1.2.3")]) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the no_wait task never called the host"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let stats = pime::stats();
    assert_eq!(stats.in_flight, 0);
    assert_eq!(stats.queued, 0);
    engine.stop().await.unwrap();
}
