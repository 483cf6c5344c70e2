//! What a host function knows of the call that made it: the task's context (what the
//! Rust caller set with `PyTask::set_context` and Python reads with `pime.context()`)
//! and whether it was called on the engine thread. Tasks a host function sends
//! inherit the context, so a request id set at the edge of a server reaches every
//! nested call.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;

use serde_value::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::python::call_span::CallSpan;

/// One host call, as the Rust side sees it while the host function runs.
#[derive(Clone, Debug, Default)]
pub(crate) struct HostCall {
    /// The context of the task whose Python code made the call.
    pub(crate) context: Option<BTreeMap<String, Value>>,
    /// Whether the call waits on the engine thread (a sync call from an exclusive
    /// task): then nothing it sends may need that thread.
    pub(crate) on_engine_thread: bool,
    /// The span of the call whose Python code made this one: the host function runs
    /// inside it, and so do the tasks it sends (their spans are its children).
    span: CallSpan,
}

tokio::task_local! {
    static CURRENT: HostCall;
}

thread_local! {
    /// Set while this thread runs an engine launch.
    static ENGINE_THREAD: Cell<bool> = const { Cell::new(false) };
    /// How many sync host calls this thread is inside (their futures and bodies run
    /// on it): the cheap mark of a host call that carries nothing else.
    static IN_SYNC_CALL: Cell<usize> = const { Cell::new(0) };
}

/// The context of the task whose Python code called the running host function (the
/// values the Rust caller gave [`crate::PyTask::set_context`]); empty outside a host
/// function.
///
/// Tasks sent from a host function that set no context of their own inherit this one.
pub fn context() -> BTreeMap<String, Value> {
    CURRENT
        .try_with(|call| call.context.clone().unwrap_or_default())
        .unwrap_or_default()
}

/// Whether this runs inside a host function (its future, or its body).
pub(crate) fn in_host_call() -> bool {
    IN_SYNC_CALL.with(Cell::get) > 0 || CURRENT.try_with(|_| ()).is_ok()
}

/// Marks this thread as inside a sync host call while `f` runs (however it ends).
pub(crate) fn marked<R>(f: impl FnOnce() -> R) -> R {
    struct Unmark;
    impl Drop for Unmark {
        fn drop(&mut self) {
            IN_SYNC_CALL.with(|depth| depth.set(depth.get() - 1));
        }
    }
    IN_SYNC_CALL.with(|depth| depth.set(depth.get() + 1));
    let _unmark = Unmark;
    f()
}

/// The context a task sent from inside a host function inherits, if any.
pub(crate) fn inherited_context() -> Option<BTreeMap<String, Value>> {
    CURRENT.try_with(|call| call.context.clone()).ok().flatten()
}

/// Refuses a task that needs the engine thread when it is sent by a host function
/// that the engine thread is waiting for: it would wait forever.
pub(crate) fn check_engine_thread_free() -> Result<()> {
    let waiting = CURRENT
        .try_with(|call| call.on_engine_thread)
        .unwrap_or(false);
    if !waiting {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::ExecError,
        "this task needs the engine thread, which is waiting for the host function that sent it \
         (a sync host call from an exclusive task, or with a user executor): it would never run; \
         send the outer task without mark_exclusive(), or call the host function with \
         `await module.aio.name(..)` from an async command",
    ))
}

/// Marks this thread as running an engine launch until the guard drops.
pub(crate) fn engine_thread() -> EngineThread {
    ENGINE_THREAD.with(|flag| flag.set(true));
    EngineThread(())
}

/// See [`engine_thread`].
pub(crate) struct EngineThread(());

impl Drop for EngineThread {
    fn drop(&mut self) {
        ENGINE_THREAD.with(|flag| flag.set(false));
    }
}

impl HostCall {
    /// A call made on this thread with `context`, inside `span`.
    pub(crate) fn here(context: Option<BTreeMap<String, Value>>, span: CallSpan) -> Self {
        HostCall {
            context,
            on_engine_thread: ENGINE_THREAD.with(Cell::get),
            span,
        }
    }

    /// Whether there is nothing to carry but the mark: no context, not on the engine
    /// thread, no span. Then a sync call needs no task-local, which is what the common
    /// case costs.
    pub(crate) fn carries_nothing(&self) -> bool {
        self.context.is_none() && !self.on_engine_thread && !self.span.is_active()
    }

    /// Runs `future` inside this call, wherever it is polled (an `aio` call).
    pub(crate) fn scope<F: Future>(mut self, future: F) -> impl Future<Output = F::Output> {
        let span = std::mem::take(&mut self.span);
        CURRENT.scope(self, span.instrument(future))
    }

    /// Runs `f` on this thread inside this call (a plain `fn`'s body).
    pub(crate) fn sync_scope<R>(mut self, f: impl FnOnce() -> R) -> R {
        if self.carries_nothing() {
            return marked(f);
        }
        let span = std::mem::take(&mut self.span);
        marked(|| span.in_scope(|| CURRENT.sync_scope(self, f)))
    }
}
