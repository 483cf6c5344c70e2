//! What a call of a host function does, and the two ways it waits.
//!
//! * `app.get_user(id=1)`: on the calling thread. A plain `fn` runs right there with
//!   the GIL released; an `async fn`'s future is driven there by the engine's tokio
//!   runtime (`Handle::block_on`), GIL released. A pool worker lends its place in
//!   the pool while it waits, so a host function that calls back into Python
//!   completes even when every worker is waiting in a host call (a pool of one).
//! * `await app.aio.get_user(id=1)`: the future is spawned on the runtime and the
//!   event loop gets an asyncio future, settled from the runtime thread; cancelling it
//!   drops the Rust future.
//!
//! Either way a panic in the host function raises `pime.HostError` and the engine
//! keeps serving.

use std::borrow::Cow;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use arc_swap::ArcSwapOption;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;
use serde_value::Value;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use super::arguments::{collect_args, current_context, CallArgs};
use super::scope::{self, HostCall};
use super::spec::{
    ArgError, AsyncBody, HostArgs, HostBody, HostFunctionSpec, HostFuture, LocalHostFuture,
    PlainBody,
};
use crate::error::{Error, ErrorKind, Result};
use crate::pool;
use crate::python::call_span::CallSpan;
use crate::python::exceptions::panic_to_error;
use crate::python::sources;
use crate::value;

/// What both Python forms of one function share, for the registration that made it.
pub(crate) struct FunctionShared {
    module: &'static str,
    /// `module.name`, for messages.
    qualified: String,
    spec: HostFunctionSpec,
    /// The runtime host futures run on.
    runtime: Handle,
    /// Cleared when the registration that made it is dropped.
    live: AtomicBool,
    /// The same function of the registration that came next (a later launch): what
    /// Python objects kept from this one (`from app import get_user`) call then.
    successor: ArcSwapOption<FunctionShared>,
}

impl FunctionShared {
    /// The module's and the function's names.
    fn names(&self) -> (&'static str, &'static str) {
        (self.module, self.spec.name)
    }

    /// `module.name`.
    pub(crate) fn qualified(&self) -> &str {
        &self.qualified
    }

    /// The Python name.
    pub(crate) fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The parameters, as the `.pyi` declares them (without type hints).
    pub(crate) fn signature(&self) -> &'static str {
        self.spec.signature
    }

    /// The docstring (the method's doc comment).
    pub(crate) fn doc(&self) -> &'static str {
        self.spec.doc
    }

    pub(crate) fn new(module: &'static str, spec: HostFunctionSpec, runtime: Handle) -> Arc<Self> {
        Arc::new(FunctionShared {
            module,
            qualified: format!("{module}.{}", spec.name),
            spec,
            runtime,
            live: AtomicBool::new(true),
            successor: ArcSwapOption::empty(),
        })
    }

    /// Its registration is gone: calls go to a successor, or fail.
    pub(crate) fn retire(&self) {
        self.live.store(false, Ordering::Release);
    }

    /// Makes `next` (a later registration's) what calls of this one reach once it is
    /// retired; hung at the end of the chain of earlier ones.
    pub(crate) fn hand_on(self: &Arc<Self>, next: &Arc<FunctionShared>) {
        let mut last = Arc::clone(self);
        while let Some(later) = last.successor.load_full() {
            last = later;
        }
        last.successor.store(Some(Arc::clone(next)));
    }

    /// What a call reaches now: this function while its registration lives (one
    /// relaxed load: the common case), else the live one after it, if any.
    fn current(self: &Arc<Self>) -> Option<Cow<'_, Arc<Self>>> {
        if self.live.load(Ordering::Relaxed) {
            return Some(Cow::Borrowed(self));
        }
        let mut next = self.successor.load_full()?;
        while !next.live.load(Ordering::Acquire) {
            next = next.successor.load_full()?;
        }
        Some(Cow::Owned(next))
    }

    /// The `HostError` of a call made once no registration serves it.
    fn gone(&self, py: Python<'_>) -> PyErr {
        host_error(
            py,
            &Error::engine_state(format!(
                "{}(): the engine set-up that registered this host module is gone",
                self.qualified
            )),
        )
    }
}

/// Aborts a spawned host future: the done-callback of an `aio` call's asyncio future
/// (when the future is done because it was settled, the task has ended already).
#[pyclass(frozen, module = "pime")]
struct AbortOnDone {
    abort: AbortHandle,
}

/// `module.name(...)`: a call that waits on the calling thread.
pub(super) fn call_here(
    py: Python<'_>,
    function: &Arc<FunctionShared>,
    call: &CallArgs<'_, '_>,
) -> PyResult<Py<PyAny>> {
    let Some(shared) = function.current() else {
        return Err(function.gone(py));
    };
    let shared = &*shared;
    let host_args = collect_args(shared.module, &shared.spec, &shared.qualified, call)?;
    let call = HostCall::here(current_context(py)?, CallSpan::of_python_caller(py)?);
    let outcome = match &shared.spec.body {
        HostBody::Sync(body) => run_plain(py, shared, body, host_args, call)?,
        HostBody::Async(body) => {
            if sources::is_event_loop_thread() {
                return Err(PyRuntimeError::new_err(format!(
                    "{0}() would block the engine's event loop while it waits: use \
                     `await {1}.aio.{2}(...)` in async code",
                    shared.qualified, shared.module, shared.spec.name
                )));
            }
            run_async_here(py, shared, body, host_args, call)?
        }
    };
    outcome_to_python(py, shared, outcome)
}

/// `module.aio.name(...)`: a call that returns an awaitable.
pub(super) fn call_aio<'py>(
    py: Python<'py>,
    function: &Arc<FunctionShared>,
    call: &CallArgs<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(shared) = function.current() else {
        return Err(function.gone(py));
    };
    let shared = &*shared;
    let Some(event_loop) = running_loop(py)? else {
        return Err(PyRuntimeError::new_err(format!(
            "{0}.aio.{1}() returns an awaitable for async code (no event loop runs in \
             this thread): call `{2}()` from sync code",
            shared.module, shared.spec.name, shared.qualified
        )));
    };
    let host_args = collect_args(shared.module, &shared.spec, &shared.qualified, call)?;
    let call = HostCall::here(current_context(py)?, CallSpan::of_python_caller(py)?);
    let awaitable = event_loop.call_method0("create_future")?;
    let future = match &shared.spec.body {
        HostBody::Async(body) => start_async(shared, body, host_args)?,
        // A plain `fn` is quick by contract: it runs here, and the awaitable is
        // settled before it is returned.
        HostBody::Sync(body) => {
            let outcome = run_plain(py, shared, body, host_args, call)?;
            let (ok, value) = settlement(py, shared, outcome);
            settle(py, &event_loop, &awaitable, ok, value)?;
            return Ok(awaitable);
        }
    };
    let future = call.scope(future);
    // Held weakly: an awaitable nobody holds any more (never awaited, or its task
    // is gone) is collected, and its finalizer drops the Rust future.
    let completion = Completion {
        event_loop: event_loop.unbind(),
        awaitable: weakref(py, "ref")?.call1((&awaitable,))?.unbind(),
        shared: Arc::clone(shared),
        settled: false,
    };
    let task = shared.runtime.spawn(async move {
        let outcome = future.await;
        completion.settle(outcome);
    });
    let abort = Bound::new(
        py,
        AbortOnDone {
            abort: task.abort_handle(),
        },
    )?;
    awaitable.call_method1("add_done_callback", (&abort,))?;
    weakref(py, "finalize")?.call1((&awaitable, abort, py.None()))?;
    Ok(awaitable)
}

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.abort.abort();
    }
}

/// Runs an `async fn` host function for a sync call: its future, made on this
/// thread's stack, is driven here to its end (GIL released), the thread marked as in
/// a host call, and a task-local only when there is context or a span to carry. (A
/// panic in it unwinds to the call's entry, which raises it as `pime.HostError`.)
/// `Err`: its arguments did not decode (a `TypeError`).
fn run_async_here(
    py: Python<'_>,
    shared: &FunctionShared,
    body: &AsyncBody,
    host_args: HostArgs,
    mut call: HostCall,
) -> PyResult<Result<Value>> {
    let runtime = &shared.runtime;
    let mut drive = |future: LocalHostFuture<'_>| {
        let call = std::mem::take(&mut call);
        if call.carries_nothing() {
            scope::marked(|| pool::block_on_lending(py, runtime, future))
        } else {
            scope::marked(|| pool::block_on_lending(py, runtime, call.scope(future)))
        }
    };
    (body.here)(host_args, &mut drive).map_err(type_error)
}

/// Decodes the arguments of an `async fn` and makes its future for an `aio` call: a
/// panic when it is polled, on the runtime, is its error (one in making it unwinds to
/// the call's entry).
fn start_async(
    shared: &FunctionShared,
    body: &AsyncBody,
    host_args: HostArgs,
) -> PyResult<CatchUnwind<HostFuture>> {
    Ok(CatchUnwind {
        future: (body.spawned)(host_args).map_err(type_error)?,
        names: shared.names(),
    })
}

/// `weakref.<name>`.
fn weakref<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    static WEAKREF: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    WEAKREF
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("weakref")?.unbind()))?
        .bind(py)
        .getattr(name)
}

/// Runs a plain `fn` host function on this thread, GIL released, inside `call` and
/// the runtime's context (a panic unwinds to the call's entry, as above). `Err`: its
/// arguments did not decode (a `TypeError`).
fn run_plain(
    py: Python<'_>,
    shared: &FunctionShared,
    body: &Arc<PlainBody>,
    host_args: HostArgs,
    call: HostCall,
) -> PyResult<Result<Value>> {
    let body = Arc::clone(body);
    let runtime = shared.runtime.clone();
    py.detach(move || {
        let _runtime = runtime.enter();
        call.sync_scope(|| body(host_args))
    })
    .map_err(type_error)
}

/// Where an `aio` call's outcome goes. Dropped unsettled (its task was dropped
/// before its future ended: the runtime shut down, or the call was aborted), it
/// settles the awaitable with an error, so nobody awaits for ever; an awaitable
/// already done (cancelled) or collected is left as it is.
struct Completion {
    event_loop: Py<PyAny>,
    /// A `weakref.ref` to the asyncio future.
    awaitable: Py<PyAny>,
    shared: Arc<FunctionShared>,
    settled: bool,
}

impl Completion {
    /// Settles the awaitable with the future's outcome.
    fn settle(mut self, outcome: Result<Value>) {
        self.settled = true;
        Python::attach(|py| self.settle_with(py, outcome));
    }

    /// Settles the awaitable from the runtime's thread (through the loop's
    /// `call_soon_threadsafe`; a loop that has closed meanwhile has no one awaiting,
    /// nor has an awaitable that was collected).
    fn settle_with(&self, py: Python<'_>, outcome: Result<Value>) {
        let awaitable = match self.awaitable.bind(py).call0() {
            Ok(awaitable) if !awaitable.is_none() => awaitable,
            _ => return,
        };
        let (ok, value) = settlement(py, &self.shared, outcome);
        if let Err(err) = settle(py, self.event_loop.bind(py), &awaitable, ok, value) {
            log::warn!(target: "pime", "cannot settle {}(): {err}", self.shared.qualified);
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let error = Error::engine_state(format!(
            "{}(): the host call ended before its future did (the tokio runtime it ran on \
             shut down)",
            self.shared.qualified
        ));
        // Not at all once the interpreter is finalizing: nobody awaits then.
        let _ = Python::try_attach(|py| self.settle_with(py, Err(error)));
    }
}

/// `(True, result)` or `(False, exception)` for the awaitable.
fn settlement(
    py: Python<'_>,
    shared: &FunctionShared,
    outcome: Result<Value>,
) -> (bool, Py<PyAny>) {
    match outcome_to_python(py, shared, outcome) {
        Ok(value) => (true, value),
        Err(err) => (false, err.into_value(py).into_any()),
    }
}

fn settle(
    py: Python<'_>,
    event_loop: &Bound<'_, PyAny>,
    awaitable: &Bound<'_, PyAny>,
    ok: bool,
    value: Py<PyAny>,
) -> PyResult<()> {
    sources::runtime(py)?
        .getattr("settle_host_call")?
        .call1((event_loop, awaitable, ok, value))
        .map(drop)
}

/// The asyncio loop running in this thread, if one is.
fn running_loop(py: Python<'_>) -> PyResult<Option<Bound<'_, PyAny>>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let get = GET_RUNNING_LOOP.import(py, "asyncio", "_get_running_loop")?;
    let running = get.call0()?;
    Ok((!running.is_none()).then_some(running))
}

/// The function's result for Python, or `pime.HostError` for its error.
fn outcome_to_python(
    py: Python<'_>,
    shared: &FunctionShared,
    outcome: Result<Value>,
) -> PyResult<Py<PyAny>> {
    let value = outcome.map_err(|error| host_error(py, &error))?;
    if let Value::Unit = value {
        // What most host functions that only act return, without the converter (and
        // without the generic drop of a `Value`: a unit holds nothing).
        std::mem::forget(value);
        return Ok(py.None());
    }
    value::to_python(py, &value, &shared.qualified)
        .map(Bound::unbind)
        .map_err(|error| host_error(py, &error))
}

/// `pime.HostError(message, kind)` for `error`.
pub(crate) fn host_error(py: Python<'_>, error: &Error) -> PyErr {
    let message = match &error.exception {
        Some(class) => format!("{class}: {}", error.message),
        None => error.message.clone(),
    };
    let kind = format!("{:?}", error.kind);
    let raised = sources::register(py)
        .and_then(|()| py.import("pime"))
        .and_then(|pime| pime.getattr("HostError"))
        .and_then(|class| class.call1((message.as_str(), kind)));
    match raised {
        Ok(exception) => PyErr::from_value(exception),
        Err(err) => err,
    }
}

fn type_error(error: ArgError) -> PyErr {
    PyTypeError::new_err(error.0)
}

/// The `pime.HostError` of a panic in a call of `shared`'s function.
pub(super) fn panic_error(
    py: Python<'_>,
    shared: &FunctionShared,
    payload: Box<dyn std::any::Any + Send>,
) -> PyErr {
    host_error(py, &panicked(shared.names(), payload))
}

fn panicked(
    (module, name): (&'static str, &'static str),
    payload: Box<dyn std::any::Any + Send>,
) -> Error {
    Error::new(
        ErrorKind::ExecError,
        format!(
            "host function {module}.{name}() panicked: {}",
            panic_to_error(payload).message
        ),
    )
}

/// A host future whose panic becomes its error.
struct CatchUnwind<F> {
    future: F,
    /// The module and the function, for the message.
    names: (&'static str, &'static str),
}

impl<F: Future<Output = Result<Value>> + Unpin> Future for CatchUnwind<F> {
    type Output = Result<Value>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let future = &mut this.future;
        match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *future).poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(panicked(this.names, payload))),
        }
    }
}
