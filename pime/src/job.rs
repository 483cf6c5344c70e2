//! `Job`: one task as a Python callable. The executor runs it on a worker thread (or
//! the engine runs it inline for exclusive tasks); it calls the broker, converts the
//! outcome and completes the caller's reply slot right there, with no hop back to the
//! engine thread.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

use crate::error::{Error, ErrorKind, Result};
use crate::in_flight::Ticket;
use crate::reply::{ReplySender, ReplySlot};
use crate::value;
use serde_value::Value;

/// A task ready to run: `broker(command, params)` plus where the outcome goes.
#[pyclass(frozen, module = "_pime_runtime")]
pub(crate) struct Job {
    broker: Py<PyAny>,
    command: Py<PyAny>,
    params: Py<PyAny>,
    /// Taken by the one run; empty for `no_wait` tasks.
    reply: Arc<ReplySlot>,
    no_wait: bool,
    /// The command's text, kept only when debug logging is on.
    debug_label: Option<String>,
    /// Pooled jobs count as in flight until the executor lets go of them.
    _ticket: Option<Ticket>,
}

impl Job {
    pub(crate) fn new(
        broker: Py<PyAny>,
        command: Py<PyAny>,
        params: Py<PyAny>,
        reply: Arc<ReplySlot>,
        no_wait: bool,
        debug_label: Option<String>,
        ticket: Option<Ticket>,
    ) -> Self {
        Job {
            _ticket: ticket,
            broker,
            command,
            params,
            no_wait,
            reply,
            debug_label,
        }
    }

    /// Gives up on the job without running it (the executor refused it): the caller
    /// gets `error`.
    pub(crate) fn fail(&self, error: Error) {
        self.reply.fail(error);
    }
}

#[pymethods]
impl Job {
    /// Runs the broker and delivers the outcome (the built-in pool and exclusive
    /// tasks). Never raises: every failure goes to the caller (or, for `no_wait`, to
    /// the log).
    pub(crate) fn __call__(&self, py: Python<'_>) {
        let reply = self.reply.take();
        if reply.as_ref().is_some_and(|r| r.is_closed()) {
            // The caller dropped its future before the task started: cancelled.
            return;
        }
        let started = self.debug_label.as_ref().map(|_| Instant::now());
        let outcome = self.run_broker(py);
        self.deliver(reply, outcome, started);
    }

    /// The done-callback of `executor.submit(broker, command, params)` (any other
    /// executor): converts the future's outcome and delivers it.
    fn complete(&self, py: Python<'_>, future: &Bound<'_, PyAny>) {
        let reply = self.reply.take();
        let outcome = future_outcome(py, future);
        self.deliver(reply, outcome, None);
    }
}

impl Job {
    fn deliver(
        &self,
        reply: Option<ReplySender>,
        outcome: Result<Option<Value>>,
        started: Option<Instant>,
    ) {
        if let Some(label) = &self.debug_label {
            log_task(label, started, &outcome);
        }
        match reply {
            Some(reply) => {
                // The caller may have gone meanwhile; then the result is dropped.
                let _ = reply.send(outcome);
            }
            None if self.no_wait => {
                if let Err(error) = outcome {
                    log::warn!(target: "pime", "no_wait task failed: {error}");
                }
            }
            None => {}
        }
    }
}

/// The result of a finished `concurrent.futures.Future`, converted.
fn future_outcome(py: Python<'_>, future: &Bound<'_, PyAny>) -> Result<Option<Value>> {
    let outcome = || -> PyResult<Result<Option<Value>>> {
        if future.call_method0("cancelled")?.is_truthy()? {
            return Ok(Err(Error::new(
                ErrorKind::ExecError,
                "the executor cancelled the task",
            )));
        }
        let exception = future.call_method0("exception")?;
        if !exception.is_none() {
            return Ok(Err(exception_to_error(py, PyErr::from_value(exception))));
        }
        Ok(value::result_from_python(&future.call_method0("result")?))
    };
    outcome().unwrap_or_else(|err| {
        let mut error = exception_to_error(py, err);
        error.kind = ErrorKind::ExecError;
        Err(error)
    })
}

impl Job {
    /// Calls the broker and converts its result. A Rust panic inside (a PyO3
    /// `PanicException` raised by the broker resumes as one) becomes the caller's
    /// error instead of unwinding through the engine.
    fn run_broker(&self, py: Python<'_>) -> Result<Option<Value>> {
        let call = AssertUnwindSafe(|| {
            self.broker
                .bind(py)
                .call1((self.command.bind(py), self.params.bind(py)))
                .map_err(|err| exception_to_error(py, err))
                .and_then(|result| value::result_from_python(&result))
        });
        std::panic::catch_unwind(call).unwrap_or_else(|payload| Err(panic_to_error(payload)))
    }
}

/// A panic caught while a task ran, as a `PyException` of class `PanicException`.
fn panic_to_error(payload: Box<dyn std::any::Any + Send>) -> Error {
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a Rust panic with no message".into());
    Error {
        kind: ErrorKind::PyException,
        message,
        exception: Some("PanicException".into()),
        traceback: None,
    }
}

fn log_task(label: &str, started: Option<Instant>, outcome: &Result<Option<Value>>) {
    let elapsed = started
        .map(|s| format!(" in {:?}", s.elapsed()))
        .unwrap_or_default();
    match outcome {
        Ok(_) => log::debug!(target: "pime", "task {label} ok{elapsed}"),
        Err(e) => log::debug!(target: "pime", "task {label} failed{elapsed}: {e}"),
    }
}

/// Turns a Python exception into a `PyException` error with the class name, the
/// message (even when `str()` itself raises) and the formatted traceback.
pub(crate) fn exception_to_error(py: Python<'_>, err: PyErr) -> Error {
    let exception = err.value(py);
    let class = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "<unknown exception>".into());
    let message = exception
        .str()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("<unprintable {class} object>"));
    Error {
        kind: ErrorKind::PyException,
        message,
        exception: Some(class),
        traceback: format_traceback(py, &err),
    }
}

/// The full Python traceback text. The traceback is passed explicitly because on
/// Python 3.11 PyO3 keeps it beside the exception rather than in `__traceback__`.
fn format_traceback(py: Python<'_>, err: &PyErr) -> Option<String> {
    static FORMAT_EXCEPTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let format = FORMAT_EXCEPTION
        .get_or_try_init(py, || {
            py.import("traceback")?
                .getattr("format_exception")
                .map(Bound::unbind)
        })
        .ok()?;
    let lines = format
        .bind(py)
        .call1((err.get_type(py), err.value(py), err.traceback(py)))
        .ok()?;
    let text = PyString::new(py, "").call_method1("join", (lines,)).ok()?;
    text.extract::<String>().ok()
}
