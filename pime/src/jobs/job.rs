//! `Job`: one task as a Python object. A worker thread of the built-in pool runs it
//! (or the engine runs it inline for exclusive tasks); it calls the broker, converts
//! the outcome and answers the caller right there, with no hop back to the engine thread.
//!
//! A broker may also return a coroutine (run on the engine's event loop, then
//! answered from the loop's done-callback) or, for `pime::call_stream`, a generator
//! (pumped item by item into the caller's stream).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use super::envelope::Submission;
use super::settings::JobSettings;
use super::ticket::Ticket;
use super::{cancel, stream_pump};
use crate::error::{Error, ErrorKind, Result};
use crate::python::exceptions::{exception_to_error, exec_error, panic_to_error};
use crate::python::sources;
use crate::stats::Outcome;
use crate::task::PyTask;
use crate::value;

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

/// A task ready to run in this interpreter, and where its outcome goes.
#[pyclass(frozen, module = "_pime_runtime")]
pub(crate) struct Job {
    pub(crate) call: BrokerCall,
    pub(crate) ticket: Ticket,
    /// The task's values, converted, when small: the caller's thread frees them (see
    /// `Answer`).
    spent: Option<PyTask>,
}

#[pymethods]
impl Job {
    /// What a user's in-process executor (`ThreadPoolExecutor`) runs: the broker, with
    /// the task's context and, with interrupt on deadline, interruptible.
    fn call_broker<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().call_broker_here(slf.py())
    }

    /// The done-callback of a `concurrent.futures.Future`: of a user executor's
    /// `submit(broker, command, params)`, or of a coroutine run on the event loop.
    fn complete(slf: &Bound<'_, Self>, future: &Bound<'_, PyAny>) {
        let py = slf.py();
        let job = slf.get();
        let cancelled = future
            .call_method0("cancelled")
            .and_then(|c| c.is_truthy())
            .unwrap_or(false);
        if cancelled && job.ticket.reply.is_abandoned() {
            // PIME cancelled it because its caller went away.
            job.ticket.release(Outcome::Cancelled);
            return;
        }
        match future_result(py, future, cancelled) {
            // A callback may run on any thread — the engine thread itself, when the
            // future was done before the callback was added — so a stream, which
            // blocks while its reader is behind, is pumped on a thread of its own.
            Ok(result) if job.ticket.reply.is_stream() => Job::pump_on_own_thread(slf, result),
            // A user's executor may return a coroutine too.
            Ok(result) => Job::handle_result(slf, result),
            Err(error) => job.ticket.finish(Err(error)),
        }
    }
}

impl Job {
    /// Takes a submission off a queue, on a thread holding the GIL, and converts it
    /// for `broker`. `None` when there is nothing to run: the caller has gone already
    /// (the task counts as cancelled), or the conversion failed (the caller has been
    /// answered).
    pub(crate) fn accept(
        py: Python<'_>,
        submission: Submission,
        broker: Py<PyAny>,
        settings: &Arc<JobSettings>,
    ) -> Option<Job> {
        let (ticket, task) = Ticket::take(submission, settings)?;
        let call = match BrokerCall::new(py, &task, broker) {
            Ok(call) => call,
            Err(error) => {
                ticket.reply.fail(error);
                return None;
            }
        };
        Some(Job {
            spent: task.converted(ticket.answers_once),
            call,
            ticket,
        })
    }

    /// Runs the task on this thread, which holds the GIL (a pool worker, or the engine
    /// thread for exclusive tasks). Never fails: every failure goes to the caller, or
    /// for `no_wait` to the log.
    ///
    /// The job becomes a Python object only when Python must call back into it (the
    /// done-callback of a coroutine, a stream's pump): a plain result is answered
    /// without allocating one.
    pub(crate) fn run(mut self, py: Python<'_>) {
        if self.ticket.reply.is_abandoned() {
            // The caller dropped its future before the task started: cancelled.
            self.ticket.release(Outcome::Cancelled);
            return;
        }
        self.ticket.mark_started();
        let result = match self.invoke(py) {
            Ok(result) => result,
            Err(error) => return self.ticket.finish_with(Err(error), self.spent.take()),
        };
        if !self.ticket.reply.is_stream() && !is_coroutine(py, &result) {
            let command = self.call.command.bind(py);
            let outcome = value::result_from_python_for(&result, command);
            return self.ticket.finish_with(outcome, self.spent.take());
        }
        match self.into_python(py) {
            Ok(job) => Job::handle_result(&job, result),
            Err(e) => log::error!(target: "pime", "cannot allocate a job: {e}"),
        }
    }

    /// The job as a Python object, for Python to call back into (a done-callback, a
    /// user's executor): its answer comes later, from elsewhere, so the task's values
    /// are freed now.
    pub(crate) fn into_python(mut self, py: Python<'_>) -> PyResult<Bound<'_, Job>> {
        if let Some(task) = self.spent.take() {
            task.drop_converted();
        }
        Bound::new(py, self)
    }

    /// `broker(command, params)` on this thread, inside the task's context and
    /// interruptible when interrupt on deadline is on.
    fn call_broker_here<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let BrokerCall {
            broker,
            command,
            params,
            context,
        } = &self.call;
        let call_broker = || match (context, self.ticket.span.to_python(py)?) {
            (None, None) => broker.bind(py).call1((command, params)),
            (context, span) => sources::runtime(py)?
                .getattr("run_in_call")?
                .call1((context, span, broker, command, params)),
        };
        self.ticket
            .span
            .in_scope(|| match &self.ticket.reply.interrupt {
                Some(interrupt) => interrupt.run(py, call_broker),
                None => call_broker(),
            })
    }

    /// Calls the broker. A Rust panic inside (a PyO3 `PanicException` raised by the
    /// broker resumes as one) becomes the caller's error instead of unwinding further.
    fn invoke<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let call = AssertUnwindSafe(|| {
            self.call_broker_here(py)
                .map_err(|err| exception_to_error(py, err))
        });
        std::panic::catch_unwind(call).unwrap_or_else(|payload| Err(panic_to_error(payload)))
    }

    /// Pumps the stream `result` on a new thread (`pime-stream`). The streams alive at
    /// once are bounded like every task, so these threads are too.
    fn pump_on_own_thread(slf: &Bound<'_, Self>, result: Bound<'_, PyAny>) {
        let job = slf.clone().unbind();
        let result = result.unbind();
        let spawned = std::thread::Builder::new()
            .name("pime-stream".into())
            .spawn(move || {
                Python::attach(|py| Job::handle_result(job.bind(py), result.into_bound(py)))
            });
        if let Err(e) = spawned {
            slf.get().ticket.finish(Err(Error::new(
                ErrorKind::ExecError,
                format!("cannot start a thread to pump the stream: {e}"),
            )));
        }
    }

    /// What the broker returned: a stream to pump, a coroutine to schedule, or a value.
    fn handle_result(slf: &Bound<'_, Self>, result: Bound<'_, PyAny>) {
        let py = slf.py();
        let job = slf.get();
        if job.ticket.reply.is_stream() {
            // The slot keeps its sender too, so that `stop` past its deadline can end
            // the stream while the generator is stuck; the slot's is dropped after.
            let Some(sender) = job.ticket.reply.stream_sender() else {
                return;
            };
            let outcome = job.ticket.span.in_scope(|| {
                stream_pump::pump(
                    stream_pump::PyItems::new(&result),
                    sender,
                    &job.ticket.settings.stopping,
                )
            });
            job.ticket.end_stream(&outcome);
            return;
        }
        if is_coroutine(py, &result) {
            let scheduled = sources::runtime(py)
                .and_then(|runtime| {
                    let context = job.call.context.as_ref().map(|c| c.bind(py).clone());
                    let span = job.ticket.span.to_python(py)?;
                    runtime.getattr("schedule")?.call1((result, context, span))
                })
                .and_then(|future| {
                    // Before the callback, which may run at once (and forget it).
                    job.ticket.reply.set_coroutine(future.clone().unbind());
                    future.call_method1("add_done_callback", (slf.getattr("complete")?,))?;
                    cancel::cancel_when_abandoned(
                        &job.ticket.reply,
                        &future,
                        &job.ticket.settings.engine,
                    );
                    Ok(())
                });
            if let Err(err) = scheduled {
                job.ticket.finish(Err(exec_error(py, err)));
            }
            return;
        }
        job.ticket.finish(value::result_from_python_for(
            &result,
            job.call.command.bind(py),
        ));
    }
}

/// `future.result()`, or the error it holds.
/// `cancelled`: what `future.cancelled()` said.
fn future_result<'py>(
    py: Python<'py>,
    future: &Bound<'py, PyAny>,
    cancelled: bool,
) -> Result<Bound<'py, PyAny>> {
    let outcome = || -> PyResult<Result<Bound<'py, PyAny>>> {
        if cancelled {
            return Ok(Err(Error::new(
                ErrorKind::ExecError,
                "the executor cancelled the task",
            )));
        }
        let mut exception = future.call_method0("exception")?;
        if exception.is_none() {
            return Ok(Ok(future.call_method0("result")?));
        }
        // A `BaseException` the coroutine raised itself (`CancelledError`, `SystemExit`,
        // ...) comes wrapped: report it.
        if exception.is_instance(&sources::runtime(py)?.getattr("BrokerRaised")?)? {
            exception = exception.getattr("__cause__")?;
        }
        Ok(Err(exception_to_error(py, PyErr::from_value(exception))))
    };
    outcome().unwrap_or_else(|err| Err(exec_error(py, err)))
}

/// Whether `result` is a coroutine (an `async def` broker or command was called).
fn is_coroutine(py: Python<'_>, result: &Bound<'_, PyAny>) -> bool {
    static COROUTINE_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    COROUTINE_TYPE
        .import(py, "types", "CoroutineType")
        .is_ok_and(|coroutine| result.get_type().is(coroutine))
}
