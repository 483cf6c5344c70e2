//! `Job`: one task as a Python object. A worker thread of the built-in pool runs it
//! (or the engine runs it inline for exclusive tasks); it calls the broker, converts
//! the outcome and answers the caller right there, with no hop back to the engine thread.
//!
//! A broker may also return a coroutine (run on the engine's event loop, then
//! answered from the loop's done-callback) or, for `pime::call_stream`, a generator
//! (pumped item by item into the caller's stream).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use serde_value::Value;
use tokio::sync::mpsc;

use super::envelope::Envelope;
use super::in_flight::Ticket;
use super::reply::{ReplySlot, ReplyTo, StreamEvent};
use super::{cancel, stream_pump};
use crate::error::{Error, ErrorKind, Result};
use crate::python::exceptions::{exception_to_error, exec_error, panic_to_error};
use crate::python::sources;
use crate::stats::{Counters, COUNTERS};
use crate::task::PyTask;
use crate::value;
use crate::waiting::lock;

/// What every job of one launch shares.
#[derive(Debug)]
pub(crate) struct JobSettings {
    /// Log every task at `debug` level.
    pub(crate) debug: bool,
    /// The way into this launch's engine thread, for cancelling coroutines. Weak, so
    /// that jobs do not keep the engine's queue open, and a job of an earlier launch
    /// never reaches a later one.
    pub(crate) engine: mpsc::WeakSender<Envelope>,
}

/// What to call: `broker(command, params)`, inside `context` when the task has one.
pub(crate) struct BrokerCall {
    pub(crate) broker: Py<PyAny>,
    pub(crate) command: Py<PyAny>,
    pub(crate) params: Py<PyAny>,
    /// The task's context values as a dict, for `pime.context()`.
    pub(crate) context: Option<Py<PyAny>>,
}

impl BrokerCall {
    /// The task's command, params and context as Python objects, for `broker`.
    pub(crate) fn new(py: Python<'_>, task: &PyTask, broker: Py<PyAny>) -> Result<Self> {
        let command = value::to_python(py, &task.command, "command")?;
        let params = match &task.params {
            Some(params) => value::params_to_python(py, params)?,
            None => py.None().into_bound(py),
        };
        let context = match &task.context {
            Some(context) => Some(value::params_to_python(py, context)?.unbind()),
            None => None,
        };
        Ok(BrokerCall {
            broker,
            command: command.unbind(),
            params: params.unbind(),
            context,
        })
    }
}

/// A task ready to run and where its outcome goes.
#[pyclass(frozen, module = "_pime_runtime")]
pub(crate) struct Job {
    pub(crate) call: BrokerCall,
    pub(crate) reply: Arc<ReplySlot>,
    /// The command's text, kept when debug logging or per-command stats want it.
    pub(crate) label: Option<String>,
    pub(crate) settings: Arc<JobSettings>,
    pub(crate) started: OnceLock<Instant>,
    /// Pooled jobs count as in flight until they finish (or, if they never run, until
    /// they are dropped). Released explicitly because a Python reference cycle
    /// (an exception kept with its traceback) can keep the job object alive long after.
    pub(crate) ticket: Mutex<Option<Ticket>>,
}

#[pymethods]
impl Job {
    /// The done-callback of a `concurrent.futures.Future`: of a user executor's
    /// `submit(broker, command, params)`, or of a coroutine run on the event loop.
    fn complete(slf: &Bound<'_, Self>, future: &Bound<'_, PyAny>) {
        let py = slf.py();
        let job = slf.get();
        job.mark_started();
        match future_result(py, future) {
            Ok(result) if job.reply.is_stream() => Job::handle_result(slf, result),
            Ok(result) => job.finish(value::result_from_python(&result)),
            Err(error) => job.finish(Err(error)),
        }
    }
}

impl Job {
    /// Takes a task off a queue and counts it. `None` (the task counted as cancelled
    /// and dropped unconverted) when its caller has already gone; otherwise the task
    /// and its reply slot.
    pub(crate) fn accept(task: PyTask, reply: Option<ReplyTo>) -> Option<(PyTask, Arc<ReplySlot>)> {
        Counters::bump(&COUNTERS.dispatched);
        if reply.as_ref().is_some_and(ReplyTo::is_closed) {
            Counters::bump(&COUNTERS.cancelled);
            task.dispose();
            return None;
        }
        Some((task, ReplySlot::new(reply)))
    }

    /// Converts `task` for `broker` (a pooled job gets its ticket afterwards). On a
    /// conversion error the caller is answered (and the task's values dropped) here,
    /// and `None` comes back.
    pub(crate) fn prepare(
        py: Python<'_>,
        task: PyTask,
        reply: Arc<ReplySlot>,
        broker: Py<PyAny>,
        settings: &Arc<JobSettings>,
    ) -> Option<Job> {
        let call = match BrokerCall::new(py, &task, broker) {
            Ok(call) => call,
            Err(error) => {
                task.dispose();
                reply.fail(error);
                return None;
            }
        };
        let label = (settings.debug || COUNTERS.per_command_enabled())
            .then(|| command_label(&task.command));
        Some(Job {
            call,
            reply,
            label,
            settings: Arc::clone(settings),
            started: OnceLock::new(),
            ticket: Mutex::new(None),
        })
    }

    /// Runs the task on this thread, which holds the GIL (a pool worker, or the engine
    /// thread for exclusive tasks). Never fails: every failure goes to the caller, or
    /// for `no_wait` to the log.
    pub(crate) fn run(self, py: Python<'_>) {
        match Bound::new(py, self) {
            Ok(job) => Job::start(&job),
            Err(e) => log::error!(target: "pime", "cannot allocate a job: {e}"),
        }
    }

    fn start(slf: &Bound<'_, Self>) {
        let job = slf.get();
        if job.reply.is_abandoned() {
            // The caller dropped its future before the task started: cancelled.
            Counters::bump(&COUNTERS.cancelled);
            job.release();
            return;
        }
        job.mark_started();
        match job.invoke(slf.py()) {
            Ok(result) => Job::handle_result(slf, result),
            Err(error) => job.finish(Err(error)),
        }
    }

    fn mark_started(&self) {
        if self.label.is_some() {
            let _ = self.started.set(Instant::now());
        }
    }

    /// Calls the broker. A Rust panic inside (a PyO3 `PanicException` raised by the
    /// broker resumes as one) becomes the caller's error instead of unwinding further.
    fn invoke<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let call = AssertUnwindSafe(|| {
            let BrokerCall {
                broker,
                command,
                params,
                context,
            } = &self.call;
            let result = match context {
                None => broker.bind(py).call1((command, params)),
                Some(context) => run_with_context(py)
                    .and_then(|run| run.bind(py).call1((context, broker, command, params))),
            };
            result.map_err(|err| exception_to_error(py, err))
        });
        std::panic::catch_unwind(call).unwrap_or_else(|payload| Err(panic_to_error(payload)))
    }

    /// What the broker returned: a stream to pump, a coroutine to schedule, or a value.
    fn handle_result(slf: &Bound<'_, Self>, result: Bound<'_, PyAny>) {
        let py = slf.py();
        let job = slf.get();
        if job.reply.is_stream() {
            let Some(ReplyTo::Stream(sender)) = job.reply.take() else {
                return;
            };
            let outcome = stream_pump::pump(py, &result, sender);
            job.record(outcome.is_ok());
            job.release();
            return;
        }
        if is_coroutine(py, &result) {
            let scheduled = sources::runtime(py)
                .and_then(|runtime| {
                    let context = job.call.context.as_ref().map(|c| c.bind(py).clone());
                    runtime.getattr("schedule")?.call1((result, context))
                })
                .and_then(|future| {
                    future.call_method1("add_done_callback", (slf.getattr("complete")?,))?;
                    cancel::cancel_when_abandoned(&job.reply, &future, &job.settings.engine);
                    Ok(())
                });
            if let Err(err) = scheduled {
                job.finish(Err(exec_error(py, err)));
            }
            return;
        }
        job.finish(value::result_from_python(&result));
    }

    /// The job has ended: it no longer counts as in flight.
    fn release(&self) {
        drop(lock(&self.ticket).take());
    }

    /// Answers the caller (or logs, for `no_wait`) and records the outcome.
    pub(crate) fn finish(&self, outcome: Result<Option<Value>>) {
        self.release();
        self.record(outcome.is_ok());
        if let (true, Some(label)) = (self.settings.debug, &self.label) {
            log_task(label, self.started.get(), &outcome);
        }
        match self.reply.take() {
            Some(ReplyTo::Once(sender)) => {
                // The caller may have gone meanwhile; then the result is dropped.
                let _ = sender.send(outcome);
            }
            Some(ReplyTo::Stream(sender)) => {
                // A stream task that ended before streaming (the broker raised).
                let event = match outcome {
                    Err(error) => StreamEvent::Error(error),
                    Ok(_) => StreamEvent::End,
                };
                let _ = sender.try_send(event);
            }
            None => {
                if let Err(error) = outcome {
                    log::warn!(target: "pime", "no_wait task failed: {error}");
                }
            }
        }
    }

    fn record(&self, ok: bool) {
        Counters::bump(if ok {
            &COUNTERS.completed
        } else {
            &COUNTERS.failed
        });
        if let (Some(label), Some(started)) = (&self.label, self.started.get()) {
            if COUNTERS.per_command_enabled() {
                COUNTERS.record(label, started.elapsed(), ok);
            }
        }
    }
}

/// `future.result()`, or the error it holds.
fn future_result<'py>(py: Python<'py>, future: &Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
    let outcome = || -> PyResult<Result<Bound<'py, PyAny>>> {
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
        Ok(Ok(future.call_method0("result")?))
    };
    outcome().unwrap_or_else(|err| Err(exec_error(py, err)))
}

/// `pime._run_with_context`, which runs the broker with `pime.context()` set.
fn run_with_context(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    static RUN_WITH_CONTEXT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    RUN_WITH_CONTEXT.get_or_try_init(py, || {
        sources::register(py)?;
        Ok(py.import("pime")?.getattr("_run_with_context")?.unbind())
    })
}

/// Whether `result` is a coroutine (an `async def` broker or command was called).
fn is_coroutine(py: Python<'_>, result: &Bound<'_, PyAny>) -> bool {
    static COROUTINE_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    COROUTINE_TYPE
        .import(py, "types", "CoroutineType")
        .is_ok_and(|coroutine| result.get_type().is(coroutine))
}

fn log_task(label: &str, started: Option<&Instant>, outcome: &Result<Option<Value>>) {
    let elapsed = started
        .map(|s| format!(" in {:?}", s.elapsed()))
        .unwrap_or_default();
    match outcome {
        Ok(_) => log::debug!(target: "pime", "task {label} ok{elapsed}"),
        Err(e) => log::debug!(target: "pime", "task {label} failed{elapsed}: {e}"),
    }
}

fn command_label(command: &Value) -> String {
    match command {
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}
