//! The matrix test: every kind of command through every event, on one execution path
//! (each path is its own test binary, since the engine is one per process). Each cell
//! checks the documented outcome; after the cells, the gauges are back at 0, resident
//! memory is flat over repeated rounds, and the engine still serves or has stopped
//! cleanly. Every await is bounded.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use pime::{ErrorKind, PyTask, Value};

use crate::{resident_mib, s, with_python, within, PYTHON_DIR};

/// Where tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The built-in pool.
    Pool,
    /// Exclusive tasks on the engine thread.
    Exclusive,
    /// A user's `ThreadPoolExecutor(3)`.
    ThreadExecutor,
    /// A user's `ProcessPoolExecutor(2)` (spawn).
    ProcessExecutor,
    /// Two own-GIL subinterpreters (`.interpreters(2)`, CPython 3.12+). The broker's
    /// state the test inspects lives in files (`PIME_MATRIX_DIR`), which every
    /// interpreter sees.
    Interpreters,
}

/// What kind of command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sync,
    Async,
    Generator,
    AsyncGenerator,
    NoWait,
    Context,
    Typed,
}

const KINDS: [Kind; 7] = [
    Kind::Sync,
    Kind::Async,
    Kind::Generator,
    Kind::AsyncGenerator,
    Kind::NoWait,
    Kind::Context,
    Kind::Typed,
];

/// The typed client of the matrix broker.
#[pime::python_module(crate = pime)]
pub trait Matrix {
    async fn value(&self, x: i64) -> pime::Result<i64>;
    async fn fail(&self, kind: String) -> pime::Result<i64>;
    async fn unconvertible(&self) -> pime::Result<i64>;
    async fn deep_result(&self, depth: u32) -> pime::Result<pime::Value>;
    #[pime(timeout = "100ms")]
    async fn sleep(&self, seconds: f64) -> pime::Result<f64>;
}

/// The same, every command exclusive.
#[pime::python_module(crate = pime, client = MatrixExclusiveClient)]
pub trait MatrixExclusive {
    #[pime(exclusive)]
    async fn value(&self, x: i64) -> pime::Result<i64>;
    #[pime(exclusive)]
    async fn fail(&self, kind: String) -> pime::Result<i64>;
    #[pime(exclusive)]
    async fn unconvertible(&self) -> pime::Result<i64>;
    #[pime(exclusive)]
    async fn deep_result(&self, depth: u32) -> pime::Result<pime::Value>;
    #[pime(exclusive, timeout = "100ms")]
    async fn sleep(&self, seconds: f64) -> pime::Result<f64>;
}

/// A value nested far deeper than the stack allows to drop recursively, built by a loop.
const DEEP: usize = 200_000;

/// How one cell came out, for the printed table.
#[derive(Debug)]
pub struct Cell {
    pub event: &'static str,
    pub kind: Kind,
    pub outcome: String,
}

/// Runs every cell on `path` and returns the outcomes (each already checked).
pub async fn run(path: Path) -> Vec<Cell> {
    let mut cells = Vec::new();
    let engine = start(path).await;
    // Two rounds of the cells that keep the engine up; memory must be flat between
    // the end of the first and the end of the second.
    let mut resident = Vec::new();
    for _ in 0..2 {
        cells.clear();
        for kind in KINDS {
            normal(path, kind, &mut cells).await;
            for exception in [
                "Exception",
                "SystemExit",
                "KeyboardInterrupt",
                "CancelledError",
            ] {
                raises(path, kind, exception, &mut cells).await;
            }
            unconvertible(path, kind, &mut cells).await;
            deep(path, kind, &mut cells).await;
            timeout(path, kind, &mut cells).await;
            dropped_while_running(path, kind, &mut cells).await;
            dropped_before_start(path, kind, &mut cells).await;
            assert_settled(path, kind).await;
        }
        resident.push(resident_mib());
    }
    let growth = resident[1] - resident[0];
    assert!(
        growth < 24.0,
        "{path:?}: resident memory grew {growth:.1} MiB in a round"
    );
    within(60, "stop", engine.stop()).await.expect("stops");

    for kind in [Kind::Sync, Kind::Async, Kind::Generator] {
        lifecycle(path, kind, &mut cells).await;
    }
    print_table(path, &cells);
    cells
}

async fn start(path: Path) -> pime::Engine {
    start_with(path, |builder| builder).await
}

async fn start_with(
    path: Path,
    configure: impl FnOnce(pime::EngineBuilder) -> pime::EngineBuilder,
) -> pime::Engine {
    let builder = pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker("matrix", "broker")
        .thread_pool(2, 2);
    let builder = match path {
        Path::Pool | Path::Exclusive => builder,
        Path::ThreadExecutor => builder.executor("matrix", "thread_pool"),
        Path::ProcessExecutor => builder.executor("matrix", "process_pool"),
        Path::Interpreters => builder.interpreters(2),
    };
    let engine = within(60, "start", configure(builder).start())
        .await
        .expect("the engine starts");
    if path != Path::ProcessExecutor {
        python_call("reset").await;
    }
    engine
}

/// Calls `matrix.name()` through the GIL from a blocking thread.
async fn python_call(name: &'static str) -> Value {
    within(
        10,
        name,
        with_python(move |py| {
            let result = py.import("matrix").unwrap().call_method0(name).unwrap();
            pythonize(&result)
        }),
    )
    .await
}

/// The few shapes the test reads back from Python: a list of str, a bool.
fn pythonize(object: &pyo3::Bound<'_, pyo3::PyAny>) -> Value {
    if let Ok(items) = object.extract::<Vec<String>>() {
        return Value::Seq(items.into_iter().map(Value::String).collect());
    }
    if let Ok(flag) = object.extract::<bool>() {
        return Value::Bool(flag);
    }
    Value::Unit
}

fn task(path: Path, command: &str, params: Vec<(&str, Value)>) -> PyTask {
    let params: BTreeMap<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut task = PyTask::new(s(command), params);
    if path == Path::Exclusive {
        task.mark_exclusive();
    }
    task
}

/// The command name of `kind` for one family (`value`, `fail`, ...).
fn command(
    kind: Kind,
    sync: &'static str,
    async_: &'static str,
    stream: &'static str,
    astream: &'static str,
) -> &'static str {
    match kind {
        Kind::Async => async_,
        Kind::Generator => stream,
        Kind::AsyncGenerator => astream,
        _ => sync,
    }
}

fn is_stream(kind: Kind) -> bool {
    matches!(kind, Kind::Generator | Kind::AsyncGenerator)
}

/// Sends a task of `kind` and collects what came back: a result, or a stream's items.
async fn send(path: Path, kind: Kind, mut task: PyTask) -> Result<Vec<Value>, pime::Error> {
    match kind {
        Kind::NoWait => {
            task.no_wait();
            within(20, "no_wait", pime::call(task)).await.map(|r| {
                assert_eq!(r, None, "no_wait returns None");
                Vec::new()
            })
        }
        Kind::Generator | Kind::AsyncGenerator => {
            let mut stream = within(20, "call_stream", pime::call_stream(task)).await?;
            let mut items = Vec::new();
            while let Some(item) = within(20, "stream item", stream.next()).await {
                items.push(item?);
            }
            Ok(items)
        }
        _ => {
            if kind == Kind::Context {
                task.set_context("request_id", s("r-7"));
            }
            let _ = path;
            within(30, "call", pime::call(task))
                .await
                .map(|r| r.into_iter().collect())
        }
    }
}

/// A stream kind on the exclusive path is refused; on a process pool a generator
/// cannot be pickled back. `Some(outcome)` when the cell is one of those.
fn unavailable(
    path: Path,
    kind: Kind,
    outcome: &Result<Vec<Value>, pime::Error>,
) -> Option<String> {
    let unpicklable_coroutine = kind == Kind::Async && path == Path::ProcessExecutor;
    if !is_stream(kind) && !unpicklable_coroutine {
        return None;
    }
    match path {
        Path::Exclusive => {
            let error = outcome.as_ref().expect_err("exclusive streams are refused");
            assert_eq!(error.kind, ErrorKind::ExecError, "{error}");
            assert!(error.message.contains("exclusive"), "{error}");
            Some("refused: ExecError".into())
        }
        Path::ProcessExecutor => {
            let error = outcome
                .as_ref()
                .expect_err("a process pool cannot return it");
            assert_eq!(error.kind, ErrorKind::PyException, "{error}");
            Some(format!(
                "error: {}",
                error.exception.as_deref().unwrap_or("?")
            ))
        }
        _ => None,
    }
}

async fn typed_value(path: Path) -> pime::Result<i64> {
    if path == Path::Exclusive {
        within(20, "typed", MatrixExclusiveClient.value(7)).await
    } else {
        within(20, "typed", MatrixClient.value(7)).await
    }
}

async fn normal(path: Path, kind: Kind, cells: &mut Vec<Cell>) {
    let outcome = match kind {
        Kind::Typed => typed_value(path).await.map(|n| vec![Value::I64(n)]),
        Kind::Context => {
            let name = command(kind, "context", "acontext", "gcontext", "gcontext");
            send(path, kind, task(path, name, vec![])).await
        }
        Kind::NoWait => {
            send(
                path,
                kind,
                task(path, "value", vec![("x", Value::I64(7)), ("tag", s("nw"))]),
            )
            .await
        }
        _ => {
            let name = command(kind, "value", "avalue", "gen", "agen");
            let params = if is_stream(kind) {
                vec![("n", Value::I64(3)), ("tag", s("g"))]
            } else {
                vec![("x", Value::I64(7))]
            };
            send(path, kind, task(path, name, params)).await
        }
    };
    let text = if let Some(text) = unavailable(path, kind, &outcome) {
        text
    } else {
        let values = outcome.unwrap_or_else(|e| panic!("{path:?} {kind:?}: {e}"));
        match kind {
            Kind::Generator | Kind::AsyncGenerator => {
                assert_eq!(values, vec![Value::I64(0), Value::I64(1), Value::I64(2)]);
                "items".into()
            }
            Kind::NoWait => {
                if path != Path::ProcessExecutor {
                    wait_logged("nw").await;
                }
                "Ok(None), ran".into()
            }
            Kind::Context if path == Path::ProcessExecutor => {
                assert_eq!(values, vec![], "context is not carried into processes");
                "Ok(None): not carried".into()
            }
            Kind::Context => {
                let expected = Value::Map(BTreeMap::from([(s("request_id"), s("r-7"))]));
                assert_eq!(values, vec![expected]);
                "context seen".into()
            }
            _ => {
                assert_eq!(values, vec![Value::I64(7)], "{path:?} {kind:?}");
                "result".into()
            }
        }
    };
    cells.push(Cell {
        event: "normal result",
        kind,
        outcome: text,
    });
}

/// Waits (bounded) until the broker has logged `tag`.
async fn wait_logged(tag: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let Value::Seq(log) = python_call("logged").await else {
            panic!("a list")
        };
        if log.contains(&s(tag)) {
            return;
        }
        assert!(Instant::now() < deadline, "{tag} was never logged: {log:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn raises(path: Path, kind: Kind, exception: &'static str, cells: &mut Vec<Cell>) {
    let outcome = match kind {
        Kind::Typed if path == Path::Exclusive => {
            within(20, "typed", MatrixExclusiveClient.fail(exception.into()))
                .await
                .map(|n| vec![Value::I64(n)])
        }
        Kind::Typed => within(20, "typed", MatrixClient.fail(exception.into()))
            .await
            .map(|n| vec![Value::I64(n)]),
        _ => {
            let name = command(kind, "fail", "afail", "gfail", "agfail");
            send(path, kind, task(path, name, vec![("kind", s(exception))])).await
        }
    };
    let event = match exception {
        "Exception" => "raise Exception",
        "SystemExit" => "raise SystemExit",
        "KeyboardInterrupt" => "raise KeyboardInterrupt",
        _ => "raise CancelledError",
    };
    let class = if exception == "Exception" {
        "ValueError"
    } else {
        exception
    };
    let text = if let Some(text) = unavailable(path, kind, &outcome) {
        text
    } else if kind == Kind::NoWait {
        assert_eq!(outcome, Ok(vec![]));
        "Ok(None), logged".into()
    } else {
        let error = outcome.expect_err("it raised");
        assert_eq!(
            error.kind,
            ErrorKind::PyException,
            "{path:?} {kind:?} {exception}: {error}"
        );
        assert_eq!(
            error.exception.as_deref(),
            Some(class),
            "{path:?} {kind:?}: {error}"
        );
        let traceback = error.traceback.as_deref().unwrap_or_default();
        assert!(
            traceback.contains("_raise"),
            "{path:?} {kind:?} {exception}: traceback {traceback}"
        );
        format!("PyException {class}")
    };
    cells.push(Cell {
        event,
        kind,
        outcome: text,
    });
}

async fn unconvertible(path: Path, kind: Kind, cells: &mut Vec<Cell>) {
    let outcome = match kind {
        Kind::Typed if path == Path::Exclusive => {
            within(20, "typed", MatrixExclusiveClient.unconvertible())
                .await
                .map(|n| vec![Value::I64(n)])
        }
        Kind::Typed => within(20, "typed", MatrixClient.unconvertible())
            .await
            .map(|n| vec![Value::I64(n)]),
        _ => {
            let name = command(
                kind,
                "unconvertible",
                "aunconvertible",
                "gunconvertible",
                "gunconvertible",
            );
            send(path, kind, task(path, name, vec![])).await
        }
    };
    let text = match (path, kind) {
        (Path::Exclusive, Kind::Generator | Kind::AsyncGenerator)
        | (Path::ProcessExecutor, Kind::Async) => {
            unavailable(path, kind, &outcome).expect("refused or unpicklable")
        }
        (_, Kind::NoWait) => {
            assert_eq!(outcome, Ok(vec![]));
            "Ok(None), logged".into()
        }
        _ => {
            let error = outcome.expect_err("the object cannot convert");
            assert_eq!(
                error.kind,
                ErrorKind::UnpackError,
                "{path:?} {kind:?}: {error}"
            );
            assert!(error.message.contains("object"), "{error}");
            "UnpackError".into()
        }
    };
    cells.push(Cell {
        event: "unconvertible result",
        kind,
        outcome: text,
    });
}

async fn deep(path: Path, kind: Kind, cells: &mut Vec<Cell>) {
    // Typed arguments serialize with serde, which recurses: a deep `Value` is a raw-API
    // matter, so the typed kind sends the deep result only.
    let deep_params = || (0..DEEP).fold(Value::I64(1), |inner, _| Value::Seq(vec![inner]));
    let params_outcome = match kind {
        Kind::Typed => None,
        Kind::Generator | Kind::AsyncGenerator => {
            let name = command(kind, "gen", "gen", "gen", "agen");
            Some(send(path, kind, task(path, name, vec![("n", deep_params())])).await)
        }
        _ => {
            let name = command(kind, "echo", "echo", "echo", "echo");
            Some(send(path, kind, task(path, name, vec![("value", deep_params())])).await)
        }
    };
    let mut text = String::new();
    if let Some(outcome) = params_outcome {
        if kind == Kind::NoWait {
            assert_eq!(outcome, Ok(vec![]));
            text.push_str("params: Ok(None), logged");
        } else if path == Path::Exclusive && is_stream(kind) {
            let refused = unavailable(path, kind, &outcome).expect("refused");
            text.push_str(&format!("params: {refused}"));
        } else {
            let error = outcome.expect_err("too deep");
            assert_eq!(
                error.kind,
                ErrorKind::PackError,
                "{path:?} {kind:?}: {error}"
            );
            text.push_str("params: PackError");
        }
    }
    if matches!(kind, Kind::Sync | Kind::Typed) {
        let outcome = match kind {
            Kind::Typed if path == Path::Exclusive => {
                within(30, "typed", MatrixExclusiveClient.deep_result(DEEP as u32)).await
            }
            Kind::Typed => within(30, "typed", MatrixClient.deep_result(DEEP as u32)).await,
            _ => within(
                30,
                "deep",
                pime::call(task(
                    path,
                    "deep_result",
                    vec![("depth", Value::I64(DEEP as i64))],
                )),
            )
            .await
            .map(|v| v.unwrap_or(Value::Unit)),
        };
        let error = outcome.expect_err("too deep");
        if path == Path::ProcessExecutor {
            // The child cannot pickle it back.
            assert_eq!(error.kind, ErrorKind::PyException, "{error}");
        } else {
            assert_eq!(error.kind, ErrorKind::UnpackError, "{path:?}: {error}");
            assert!(error.message.contains("nesting deeper"), "{error}");
        }
        text.push_str(&format!("; result: {:?}", error.kind));
    }
    cells.push(Cell {
        event: "200,000-deep value",
        kind,
        outcome: text,
    });
}

async fn timeout(path: Path, kind: Kind, cells: &mut Vec<Cell>) {
    let outcome = match kind {
        Kind::Typed if path == Path::Exclusive => {
            within(20, "typed", MatrixExclusiveClient.sleep(0.5))
                .await
                .map(|_| ())
        }
        Kind::Typed => within(20, "typed", MatrixClient.sleep(0.5))
            .await
            .map(|_| ()),
        Kind::Sync | Kind::Async | Kind::Context => {
            let name = command(kind, "sleep", "asleep", "sleep", "sleep");
            let mut sleep = task(path, name, vec![("seconds", Value::F64(0.5))]);
            sleep.set_timeout(Duration::from_millis(100));
            within(20, "timeout", pime::call(sleep)).await.map(|_| ())
        }
        // Streams and no_wait have no timeout.
        _ => return,
    };
    if kind == Kind::Async && path == Path::ProcessExecutor {
        assert!(outcome.is_err());
        cells.push(Cell {
            event: "timeout",
            kind,
            outcome: "error".into(),
        });
        return;
    }
    let error = outcome.expect_err("timed out");
    assert_eq!(error.kind, ErrorKind::Timeout, "{path:?} {kind:?}: {error}");
    // Let the sleep end, so the next cells find the workers free.
    tokio::time::sleep(Duration::from_millis(450)).await;
    cells.push(Cell {
        event: "timeout",
        kind,
        outcome: "Timeout".into(),
    });
}

async fn dropped_while_running(path: Path, kind: Kind, cells: &mut Vec<Cell>) {
    if path == Path::ProcessExecutor || !matches!(kind, Kind::Sync | Kind::Async | Kind::Generator)
    {
        return;
    }
    let outcome = match kind {
        Kind::Sync => {
            let sleep = task(
                path,
                "sleep",
                vec![("seconds", Value::F64(0.2)), ("tag", s("dropped-sync"))],
            );
            let call = tokio::spawn(pime::call(sleep));
            wait_running_in_python(1).await;
            call.abort();
            let _ = call.await;
            // It finishes on its own; the result is dropped.
            wait_logged("dropped-sync").await;
            "finishes, result dropped"
        }
        Kind::Async if path == Path::Interpreters => {
            // A subinterpreter worker runs a coroutine to its end, as a sync broker.
            let sleep = task(
                path,
                "asleep",
                vec![("seconds", Value::F64(0.3)), ("tag", s("dropped-async"))],
            );
            let call = tokio::spawn(pime::call(sleep));
            tokio::time::sleep(Duration::from_millis(100)).await;
            call.abort();
            let _ = call.await;
            wait_logged("dropped-async").await;
            "runs to its end, result dropped"
        }
        Kind::Async => {
            let sleep = task(
                path,
                "asleep",
                vec![("seconds", Value::F64(30.0)), ("tag", s("dropped-async"))],
            );
            let call = tokio::spawn(pime::call(sleep));
            tokio::time::sleep(Duration::from_millis(100)).await;
            call.abort();
            let _ = call.await;
            wait_logged("dropped-async:cancelled").await;
            "coroutine cancelled"
        }
        _ => {
            if path == Path::Exclusive {
                return;
            }
            let mut stream = within(
                10,
                "stream",
                pime::call_stream(task(
                    path,
                    "gen",
                    vec![("n", Value::I64(1_000_000)), ("tag", s("dropped-gen"))],
                )),
            )
            .await
            .unwrap();
            let first = within(10, "item", stream.next()).await;
            assert_eq!(first, Some(Ok(Value::I64(0))));
            drop(stream);
            wait_logged("dropped-gen:closed").await;
            "generator closed"
        }
    };
    cells.push(Cell {
        event: "caller dropped while running",
        kind,
        outcome: outcome.into(),
    });
}

async fn wait_running_in_python(count: i64) {
    // Pooled or exclusive, a call of `wait_running` could queue behind the sleep;
    // ask through the GIL instead.
    let ok = within(
        15,
        "wait_running",
        with_python(move |py| {
            py.import("matrix")
                .unwrap()
                .call_method1("wait_running", (count, 10.0))
                .unwrap()
                .extract::<bool>()
                .unwrap()
        }),
    )
    .await;
    assert!(ok, "the sleep never started");
}

async fn dropped_before_start(path: Path, kind: Kind, cells: &mut Vec<Cell>) {
    if path == Path::ProcessExecutor || !matches!(kind, Kind::Sync | Kind::Async) {
        return;
    }
    // The task of the cell before (a cancelled coroutine) may still be ending: the
    // counts below must start from nothing in flight.
    assert_settled(path, kind).await;
    let before = pime::stats();
    // Occupy every thread that could start the task.
    let holders = match path {
        Path::Pool | Path::Interpreters => 2,
        Path::Exclusive => 1,
        _ => 3,
    };
    let holds: Vec<_> = (0..holders)
        .map(|_| tokio::spawn(pime::call(task(path, "hold", vec![]))))
        .collect();
    wait_started(before.in_flight + holders).await;
    let name = command(kind, "value", "avalue", "value", "value");
    let mut call = Box::pin(pime::call(task(
        path,
        name,
        vec![("x", Value::I64(1)), ("tag", s("never"))],
    )));
    // Poll once, so it is queued, then drop it.
    let polled = std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
    assert!(polled.is_pending());
    drop(call);
    python_call("release").await;
    for hold in holds {
        within(20, "hold", hold).await.unwrap().unwrap();
    }
    assert_settled(path, kind).await;
    let after = pime::stats();
    let outcome = if path == Path::ThreadExecutor {
        // Already handed to the executor: it runs, and its result is dropped.
        "runs, result dropped"
    } else {
        assert_eq!(after.cancelled - before.cancelled, 1, "{path:?} {kind:?}");
        let Value::Seq(log) = python_call("logged").await else {
            panic!()
        };
        assert!(!log.contains(&s("never")), "a cancelled task ran");
        "cancelled"
    };
    python_call("reset").await;
    cells.push(Cell {
        event: "caller dropped before start",
        kind,
        outcome: outcome.into(),
    });
}

/// Waits (bounded) until `count` tasks are in flight.
async fn wait_started(count: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pime::stats().in_flight < count {
        assert!(
            Instant::now() < deadline,
            "only {} in flight",
            pime::stats().in_flight
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits (bounded) until nothing is queued or running, and checks the engine serves.
async fn assert_settled(path: Path, kind: Kind) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = pime::stats();
        if stats.queued == 0 && stats.in_flight == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{path:?} {kind:?}: still {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let echo = within(
        20,
        "echo",
        pime::call(task(path, "value", vec![("x", Value::I64(1))])),
    )
    .await;
    assert_eq!(
        echo,
        Ok(Some(Value::I64(1))),
        "{path:?} {kind:?}: the engine still serves"
    );
    let stats = pime::stats();
    assert_eq!(
        stats.submitted,
        stats.completed + stats.failed + stats.cancelled + stats.queued + stats.in_flight,
        "every task is accounted for: {stats:?}"
    );
}

/// Stop while queued, while running, with a stop timeout; reload while running; a
/// relaunch after stop.
async fn lifecycle(path: Path, kind: Kind, cells: &mut Vec<Cell>) {
    if path == Path::ProcessExecutor && kind == Kind::Async {
        // A coroutine cannot be pickled back from a process.
        return;
    }
    let (sleep, busy) = match kind {
        Kind::Async => ("asleep", "asleep"),
        _ => ("sleep", "sleep"),
    };
    let slots = match path {
        Path::Exclusive => 1,
        Path::ThreadExecutor => 3,
        _ => 2,
    };
    if kind == Kind::Generator {
        if path == Path::Exclusive || path == Path::ProcessExecutor {
            return;
        }
        // A stream alive at stop ends with an error; stop does not wait for its reader.
        let engine = start(path).await;
        let mut stream = within(
            10,
            "stream",
            pime::call_stream(task(
                path,
                "gen",
                vec![("n", Value::I64(1_000_000)), ("tag", s("g"))],
            )),
        )
        .await
        .unwrap();
        assert_eq!(
            within(10, "item", stream.next()).await,
            Some(Ok(Value::I64(0)))
        );
        within(20, "stop with a stream held", engine.stop())
            .await
            .unwrap();
        let mut ended_with_error = false;
        while let Some(item) = within(10, "item", stream.next()).await {
            if item.is_err() {
                ended_with_error = true;
            }
        }
        assert!(ended_with_error, "the stream ends with an error");
        cells.push(Cell {
            event: "stop with a stream held",
            kind,
            outcome: "stop returns; stream ends with an error".into(),
        });
        return;
    }

    // Stop while running and while queued: both finish with their results.
    let engine = start(path).await;
    let running: Vec<_> = (0..slots + 1)
        .map(|_| {
            let t = task(path, sleep, vec![("seconds", Value::F64(0.3))]);
            tokio::spawn(pime::call(t))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    within(30, "stop", engine.stop()).await.unwrap();
    for call in running {
        let outcome = within(10, "call", call).await.unwrap();
        assert_eq!(outcome, Ok(Some(Value::F64(0.3))), "{path:?} {kind:?}");
    }
    cells.push(Cell {
        event: "stop while running and queued",
        kind,
        outcome: "both finish with results".into(),
    });

    // With a stop timeout: stop returns by the deadline; callers get an error.
    let engine = start_with(path, |b| b.stop_timeout(Duration::from_millis(300))).await;
    let stuck = tokio::spawn(pime::call(task(
        path,
        busy,
        vec![("seconds", Value::F64(2.0))],
    )));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let begun = Instant::now();
    within(10, "stop with timeout", engine.stop())
        .await
        .unwrap();
    let took = begun.elapsed();
    assert!(took < Duration::from_secs(2), "stop took {took:?}");
    let outcome = within(10, "stuck call", stuck).await.unwrap();
    let error = outcome.expect_err("stopped");
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError, "{error}");
    cells.push(Cell {
        event: "stop with a stop timeout",
        kind,
        outcome: "returns by the deadline; caller gets an error".into(),
    });
    // Let the abandoned sleep end before the next launch.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // Reload while running: the running call finishes; new calls work.
    let engine = start(path).await;
    let running = tokio::spawn(pime::call(task(
        path,
        sleep,
        vec![("seconds", Value::F64(0.3))],
    )));
    tokio::time::sleep(Duration::from_millis(100)).await;
    within(20, "reload", pime::reload()).await.unwrap();
    let outcome = within(10, "running call", running).await.unwrap();
    assert_eq!(outcome, Ok(Some(Value::F64(0.3))));
    let after = within(
        10,
        "after reload",
        pime::call(task(path, "value", vec![("x", Value::I64(2))])),
    )
    .await;
    assert_eq!(after, Ok(Some(Value::I64(2))));
    within(30, "stop", engine.stop()).await.unwrap();
    cells.push(Cell {
        event: "reload while running",
        kind,
        outcome: "running finishes; new calls served".into(),
    });

    // A relaunch after stop.
    let engine = start(path).await;
    let again = within(
        10,
        "relaunched",
        pime::call(task(path, "value", vec![("x", Value::I64(3))])),
    )
    .await;
    assert_eq!(again, Ok(Some(Value::I64(3))));
    within(30, "stop", engine.stop()).await.unwrap();
    let stats = pime::stats();
    assert_eq!((stats.queued, stats.in_flight), (0, 0), "{stats:?}");
    cells.push(Cell {
        event: "relaunch after stop",
        kind,
        outcome: "serves".into(),
    });
}

fn print_table(path: Path, cells: &[Cell]) {
    println!("matrix {path:?}:");
    for cell in cells {
        println!(
            "  {:<32} {:<16} {}",
            cell.event,
            format!("{:?}", cell.kind),
            cell.outcome
        );
    }
}
