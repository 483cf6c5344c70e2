//! `Job`: one task as a Python callable. The executor runs it on a worker thread (or
//! the engine runs it inline for exclusive tasks); it calls the broker, converts the
//! outcome and completes the caller's reply slot right there, with no hop back to the
//! engine thread.

use std::sync::Mutex;
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

use crate::error::{Error, ErrorKind, Result};
use crate::in_flight::Ticket;
use crate::state::ReplySender;
use crate::value;
use serde_value::Value;

/// A task ready to run: `broker(command, params)` plus where the outcome goes.
#[pyclass(frozen, module = "_pime_runtime")]
pub(crate) struct Job {
    broker: Py<PyAny>,
    command: Py<PyAny>,
    params: Py<PyAny>,
    /// Taken by the one run; `None` inside for `no_wait` tasks.
    reply: Mutex<Option<ReplySender>>,
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
        reply: Option<ReplySender>,
        debug_label: Option<String>,
        ticket: Option<Ticket>,
    ) -> Self {
        Job {
            _ticket: ticket,
            broker,
            command,
            params,
            no_wait: reply.is_none(),
            reply: Mutex::new(reply),
            debug_label,
        }
    }

    /// Gives up on the job without running it (the executor refused it, or the engine
    /// is stopping): the caller gets `error`.
    pub(crate) fn fail(&self, error: Error) {
        if let Some(reply) = self.take_reply() {
            let _ = reply.send(Err(error));
        }
    }

    fn take_reply(&self) -> Option<ReplySender> {
        // A poisoned lock only means a panic elsewhere; the slot itself is still sound.
        self.reply.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

#[pymethods]
impl Job {
    /// Runs the broker and delivers the outcome. Never raises: every failure goes to
    /// the caller (or, for `no_wait`, to the log).
    pub(crate) fn __call__(&self, py: Python<'_>) {
        let reply = self.take_reply();
        if reply.as_ref().is_some_and(|r| r.is_closed()) {
            // The caller dropped its future before the task started: cancelled.
            return;
        }
        let started = self.debug_label.as_ref().map(|_| Instant::now());
        let outcome = self
            .broker
            .bind(py)
            .call1((self.command.bind(py), self.params.bind(py)))
            .map_err(|err| exception_to_error(py, err))
            .and_then(|result| value::result_from_python(&result));
        if let (Some(label), Some(started)) = (&self.debug_label, started) {
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

fn log_task(label: &str, started: Instant, outcome: &Result<Option<Value>>) {
    let elapsed = started.elapsed();
    match outcome {
        Ok(_) => log::debug!(target: "pime", "task {label} ok in {elapsed:?}"),
        Err(e) => log::debug!(target: "pime", "task {label} failed in {elapsed:?}: {e}"),
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
