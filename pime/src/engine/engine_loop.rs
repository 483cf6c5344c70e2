//! The engine loop: takes envelopes off the engine thread's queue and runs tasks
//! inline (exclusive tasks) or hands them to a user's executor; reloads the broker;
//! cancels abandoned coroutines. Pooled tasks of the built-in pool do not come this
//! way: `pime::call` sends them straight to the workers (`pool`).

use std::cell::RefCell;
use std::sync::Arc;

use pyo3::prelude::*;
use tokio::sync::mpsc;

use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{
    cancel_now, BrokerCall, Envelope, InFlight, Job, JobSettings, ReloadRequest, ReplyTo,
    SharedBroker, Ticket,
};
use crate::pool::{gil_handoff, spin};
use crate::python::exceptions::{exec_error, exec_error_in};
use crate::task::PyTask;

/// The engine loop's state for one launch.
pub(crate) struct EngineLoop<'py> {
    pub(crate) py: Python<'py>,
    pub(crate) in_flight: Arc<InFlight>,
    /// Swapped by a hot reload; shared with the pool's workers.
    pub(crate) broker: Arc<SharedBroker>,
    /// The module and attribute the broker was loaded from, when known.
    pub(crate) origin: RefCell<Option<(String, String)>>,
    /// `submit` of the user's executor (`set_executor`); `None` with the built-in pool.
    pub(crate) executor_submit: Option<Bound<'py, PyAny>>,
    pub(crate) settings: Arc<JobSettings>,
}

impl EngineLoop<'_> {
    /// Serves until a stop request arrives or every sender is gone. Waits with the GIL
    /// released (polling for a moment before parking), takes it back promptly (see
    /// [`gil_handoff`]), and drains everything waiting before releasing it again.
    pub(crate) fn serve(&self, queue: &mut mpsc::Receiver<Envelope>) {
        loop {
            let Some(first) = gil_handoff::detach_for_task(self.py, || next_envelope(queue)) else {
                return;
            };
            let mut next = Some(first);
            while let Some(envelope) = next {
                match envelope {
                    Envelope::Stop => return,
                    Envelope::Task(task, reply) => self.dispatch(task, reply),
                    Envelope::Reload(request) => self.reload(request),
                    Envelope::Cancel(future) => cancel_now(future.bind(self.py)),
                }
                next = queue.try_recv().ok();
            }
        }
    }

    fn dispatch(&self, task: PyTask, reply: Option<ReplyTo>) {
        let Some((task, reply)) = Job::accept(task, reply) else {
            return;
        };
        let py = self.py;
        let exclusive = task.exclusive;
        let broker = self.broker.get(py);
        let Some(mut job) = Job::prepare(py, task, reply, broker, &self.settings) else {
            return;
        };
        let submit = match &self.executor_submit {
            // Exclusive tasks run right here. (With the built-in pool, only a call that
            // raced with the engine going online, or with `stop`, brings a pooled task
            // this way: it runs here too.)
            Some(submit) if !exclusive => submit,
            _ => return job.run(py),
        };
        if !self.in_flight.try_enter() {
            // The executor is full: wait for room with the GIL released.
            let in_flight = &*self.in_flight;
            py.detach(|| in_flight.enter_blocking());
        }
        job.ticket =
            std::sync::Mutex::new(Some(Ticket::new(Arc::clone(&self.in_flight), &job.reply)));
        let job = match Bound::new(py, job) {
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
        let submitted = submit
            .call1((broker, command, params))
            .and_then(|future| {
                future.call_method1("add_done_callback", (job.getattr("complete")?,))
            })
            .map(drop);
        if let Err(err) = submitted {
            job.get().reply.fail(exec_error(py, err));
        }
    }

    /// Loads the broker again and serves new tasks with it.
    fn reload(&self, request: ReloadRequest) {
        let outcome = self.load_broker(request.target).map(|(broker, origin)| {
            self.broker.set(broker);
            *self.origin.borrow_mut() = Some(origin);
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
        Ok((broker, (module, attribute)))
    }
}

/// `(module, name)` of a broker function, for reloading it.
fn broker_origin(broker: &Bound<'_, PyAny>) -> Result<(String, String)> {
    let named = |attribute: &str| {
        broker
            .getattr(attribute)
            .and_then(|v| v.extract::<String>())
            .ok()
    };
    match (named("__module__"), named("__name__")) {
        (Some(module), Some(name)) => Ok((module, name)),
        _ => Err(Error::new(
            ErrorKind::ExecError,
            "cannot tell which module this broker came from; use pime::reload_module(module, attribute)",
        )),
    }
}

/// The next envelope, or `None` once every sender is gone. Polls for a moment before
/// parking (see [`spin`]).
fn next_envelope(queue: &mut mpsc::Receiver<Envelope>) -> Option<Envelope> {
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
