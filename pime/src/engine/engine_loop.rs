//! The engine loop: takes envelopes off the engine thread's queue and runs tasks
//! inline (exclusive tasks) or hands them to a user's executor; reloads the broker;
//! cancels abandoned coroutines. Pooled tasks of the built-in pool do not come this
//! way: `pime::call` sends them straight to the workers (`pool`).

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use tokio::sync::mpsc;

use crate::error::{Error, ErrorKind, Result};
use crate::interpreters::Reloads;
use crate::jobs::{
    check_callable, BrokerCall, Envelope, Job, JobSettings, ReloadRequest, SharedBroker, Submission,
};
use crate::pool::gil_handoff;
use crate::python::coroutines::cancel_now;
use crate::python::exceptions::{exec_error, exec_error_in};
use crate::python::sources;
use crate::spin;

/// The engine loop's state for one launch.
pub(crate) struct EngineLoop<'py> {
    py: Python<'py>,
    /// Swapped by a hot reload; shared with the pool's workers.
    broker: Arc<SharedBroker>,
    /// The module and attribute the broker was loaded from, when known.
    origin: RefCell<Option<(String, String)>>,
    /// The user's executor, when tasks run on one instead of the built-in pool.
    executor: Option<UserExecutor<'py>>,
    settings: Arc<JobSettings>,
    /// With subinterpreters: each reloads the broker once this thread has.
    reloads: Option<Arc<Reloads>>,
    /// Set when `stop` took the launch offline while this thread was held up.
    abandoned: Arc<AtomicBool>,
}

/// A user's `concurrent.futures.Executor`.
struct UserExecutor<'py> {
    submit: Bound<'py, PyAny>,
    /// Whether it runs tasks on threads of this process (a `ThreadPoolExecutor`): then
    /// it runs the broker through the job (context, interrupt on deadline); a
    /// process-based one gets `broker, command, params`, which it can pickle.
    in_process: bool,
}

impl<'py> EngineLoop<'py> {
    pub(crate) fn new(
        py: Python<'py>,
        broker: Arc<SharedBroker>,
        origin: Option<(String, String)>,
        executor: Option<&Py<PyAny>>,
        settings: Arc<JobSettings>,
        reloads: Option<Arc<Reloads>>,
        abandoned: Arc<AtomicBool>,
    ) -> Result<Self> {
        let executor = match executor {
            None => None,
            Some(executor) => {
                let executor = executor.bind(py);
                let inspect = || -> PyResult<UserExecutor<'py>> {
                    let threads = py
                        .import("concurrent.futures")?
                        .getattr("ThreadPoolExecutor")?;
                    Ok(UserExecutor {
                        submit: executor.getattr("submit")?,
                        in_process: executor.is_instance(&threads)?,
                    })
                };
                Some(inspect().map_err(|e| exec_error(py, e))?)
            }
        };
        Ok(EngineLoop {
            py,
            broker,
            origin: RefCell::new(origin),
            executor,
            settings,
            reloads,
            abandoned,
        })
    }

    /// Serves until a stop request arrives or every sender is gone. Waits with the GIL
    /// released (polling for a moment before parking), takes it back promptly (see
    /// [`gil_handoff`]), and drains everything waiting before releasing it again.
    pub(crate) fn serve(&self, queue: &mut mpsc::UnboundedReceiver<Envelope>) {
        loop {
            let Some(first) = gil_handoff::detach_for_task(self.py, || next_envelope(queue)) else {
                return;
            };
            let mut next = Some(first);
            while let Some(envelope) = next {
                match envelope {
                    Envelope::Stop => return,
                    // The launch went offline without this thread: run nothing more.
                    envelope if self.abandoned.load(Ordering::Acquire) => {
                        envelope.refuse(Error::engine_state(
                            "the PIME engine stopped (past its stop timeout) before the task started",
                        ))
                    }
                    Envelope::Task(submission) => self.dispatch(submission),
                    Envelope::Reload(request) => self.reload(request),
                    Envelope::Cancel(future) => cancel_now(future.bind(self.py)),
                }
                next = queue.try_recv().ok();
            }
        }
    }

    fn dispatch(&self, submission: Submission) {
        let py = self.py;
        let exclusive = submission.task.exclusive;
        let broker = self.broker.get(py);
        let Some(job) = Job::accept(py, submission, broker, &self.settings) else {
            return;
        };
        let executor = match &self.executor {
            // Exclusive tasks run right here.
            Some(executor) if !exclusive => executor,
            _ => return job.run(py),
        };
        job.ticket.mark_started();
        let job = match job.into_python(py) {
            Ok(job) => job,
            Err(e) => {
                log::error!(target: "pime", "cannot allocate a job: {e}");
                return;
            }
        };
        let BrokerCall {
            broker,
            command,
            params,
            ..
        } = &job.get().call;
        // An in-process executor runs the broker through the job (context, interrupt);
        // a process-based one gets what it can pickle.
        let submitted = if executor.in_process {
            job.getattr("call_broker")
                .and_then(|call| executor.submit.call1((call,)))
        } else {
            executor.submit.call1((broker, command, params))
        }
        .and_then(|future| future.call_method1("add_done_callback", (job.getattr("complete")?,)))
        .map(drop);
        if let Err(err) = submitted {
            job.get().ticket.finish(Err(exec_error(py, err)));
        }
    }

    /// Loads the broker again and serves new tasks with it.
    fn reload(&self, request: ReloadRequest) {
        let outcome = self
            .load_broker(request.target)
            .and_then(|(broker, origin)| {
                // Subinterpreters try it first: a reload reaches every interpreter or none.
                if let Some(reloads) = &self.reloads {
                    reloads.reload(self.py, origin.clone())?;
                }
                self.broker.set(broker);
                *self.origin.borrow_mut() = Some(origin);
                Ok(())
            });
        if let Err(error) = &outcome {
            log::warn!(target: "pime", "reload failed, keeping the current broker: {error}");
        }
        let _ = request.done.send(outcome);
    }

    fn load_broker(
        &self,
        target: Option<(String, String)>,
    ) -> Result<(Py<PyAny>, (String, String))> {
        let py = self.py;
        let (module, attribute) = match target.or_else(|| self.origin.borrow().clone()) {
            Some(origin) => origin,
            None => broker_origin(self.broker.get(py).bind(py))?,
        };
        let load = || -> PyResult<Py<PyAny>> {
            let fresh = py.import(module.as_str())?;
            let reloaded = py.import("importlib")?.call_method1("reload", (fresh,))?;
            Ok(reloaded.getattr(attribute.as_str())?.unbind())
        };
        let broker = load().map_err(|err| {
            exec_error_in(py, err, &format!("cannot reload {module}.{attribute}"))
        })?;
        check_callable(broker.bind(py), &format!("{module}.{attribute}"))?;
        Ok((broker, (module, attribute)))
    }
}

/// `(module, attribute)` under which a loaded module holds the broker itself
/// (`_pime_runtime.find_origin`), for reloading it and importing it in subinterpreters.
pub(super) fn broker_origin(broker: &Bound<'_, PyAny>) -> Result<(String, String)> {
    let py = broker.py();
    let found = sources::runtime(py)
        .and_then(|runtime| runtime.call_method1("find_origin", (broker,)))
        .and_then(|found| found.extract::<Option<(String, String)>>())
        .map_err(|e| exec_error(py, e))?;
    found.ok_or_else(|| {
        Error::new(
            ErrorKind::ExecError,
            "cannot tell which module holds this broker (no loaded module has it as an \
             attribute); give it as .broker(\"module\", \"attribute\"), or reload with \
             pime::reload_module(module, attribute)",
        )
    })
}

/// The next envelope, or `None` once every sender is gone. Polls for a moment before
/// parking (see [`spin`]).
fn next_envelope(queue: &mut mpsc::UnboundedReceiver<Envelope>) -> Option<Envelope> {
    let polled = spin::poll_briefly(|| match queue.try_recv() {
        Ok(envelope) => Some(Some(envelope)),
        Err(mpsc::error::TryRecvError::Disconnected) => Some(None),
        Err(mpsc::error::TryRecvError::Empty) => None,
    });
    match polled {
        Some(outcome) => outcome,
        None => queue.blocking_recv(),
    }
}
