//! The engine loop: takes tasks off the queue and hands them to the executor.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use serde_value::Value;
use tokio::sync::mpsc;

use crate::error::{Error, ErrorKind, Result};
use crate::exceptions::{exception_to_error, exec_error};
use crate::in_flight::{InFlight, Ticket};
use crate::job::{BrokerCall, Job};
use crate::reply::{ReplySlot, ReplyTo};
use crate::state::{Envelope, ReloadRequest};
use crate::stats::{Counters, COUNTERS};
use crate::task::PyTask;
use crate::value;

/// How tasks reach the executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Submission {
    /// `submit(job)`: the job itself is the callable (the built-in thread pool). The
    /// cheapest path, and a job whose caller left is skipped when its turn comes.
    Callable,
    /// `submit(broker, command, params)` plus a done-callback: for any executor,
    /// including process pools and Dask, where the job cannot travel.
    FutureCallback,
}

/// The engine loop's state for one launch.
pub(crate) struct Dispatcher<'py> {
    pub(crate) py: Python<'py>,
    pub(crate) in_flight: Arc<InFlight>,
    /// Swapped by a hot reload; tasks already running keep the one they got.
    pub(crate) broker: RefCell<Py<PyAny>>,
    /// The module and attribute the broker was loaded from, when known.
    pub(crate) origin: RefCell<Option<(String, String)>>,
    pub(crate) submit: Bound<'py, PyAny>,
    pub(crate) submission: Submission,
    pub(crate) debug: bool,
}

impl Dispatcher<'_> {
    /// Serves until a stop request arrives or every sender is gone. Waits with the GIL
    /// released, and drains everything waiting before releasing it again.
    pub(crate) fn serve(&self, queue: &mut mpsc::Receiver<Envelope>) {
        loop {
            let Some(first) = self.py.detach(|| queue.blocking_recv()) else {
                return;
            };
            let mut next = Some(first);
            while let Some(envelope) = next {
                match envelope {
                    Envelope::Stop => return,
                    Envelope::Task(task, reply) => self.dispatch(task, reply),
                    Envelope::Reload(request) => self.reload(request),
                }
                next = queue.try_recv().ok();
            }
        }
    }

    fn dispatch(&self, task: PyTask, reply: Option<ReplyTo>) {
        Counters::bump(&COUNTERS.dispatched);
        if reply.as_ref().is_some_and(ReplyTo::is_closed) {
            // The caller is gone before the task started: cancelled.
            Counters::bump(&COUNTERS.cancelled);
            return task.dispose();
        }
        let py = self.py;
        let reply = ReplySlot::new(reply);
        let call = match self.convert(&task) {
            Ok(call) => call,
            Err(error) => {
                task.dispose();
                return reply.fail(error);
            }
        };
        let label =
            (self.debug || COUNTERS.per_command_enabled()).then(|| command_label(&task.command));
        let mut job = Job {
            call,
            reply,
            label,
            debug: self.debug,
            started: OnceLock::new(),
            ticket: Mutex::new(None),
        };
        if task.exclusive {
            match Bound::new(py, job) {
                Ok(job) => Job::__call__(&job),
                Err(e) => log::error!(target: "pime", "cannot allocate a job: {e}"),
            }
            return;
        }
        if !self.in_flight.try_enter() {
            // The executor is full: wait for room with the GIL released.
            let in_flight = &*self.in_flight;
            py.detach(|| in_flight.enter_blocking());
        }
        job.ticket = Mutex::new(Some(Ticket::new(Arc::clone(&self.in_flight), &job.reply)));
        let job = match Bound::new(py, job) {
            Ok(job) => job,
            Err(e) => {
                log::error!(target: "pime", "cannot allocate a job: {e}");
                return;
            }
        };
        let submitted = match self.submission {
            Submission::Callable => self.submit.call1((&job,)).map(drop),
            Submission::FutureCallback => {
                let BrokerCall {
                    broker,
                    command,
                    params,
                    ..
                } = &job.get().call;
                self.submit
                    .call1((broker, command, params))
                    .and_then(|future| {
                        future.call_method1("add_done_callback", (job.getattr("complete")?,))
                    })
                    .map(drop)
            }
        };
        if let Err(err) = submitted {
            job.get().reply.fail(exec_error(py, err));
        }
    }

    /// The task's command, params and context as Python objects.
    fn convert(&self, task: &PyTask) -> Result<BrokerCall> {
        let py = self.py;
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
            broker: self.broker.borrow().clone_ref(py),
            command: command.unbind(),
            params: params.unbind(),
            context,
        })
    }

    /// Loads the broker again and serves new tasks with it.
    fn reload(&self, request: ReloadRequest) {
        let outcome = self.load_broker(request.target).map(|(broker, origin)| {
            *self.broker.borrow_mut() = broker;
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
            None => broker_origin(self.broker.borrow().bind(py))?,
        };
        let load = || -> PyResult<Py<PyAny>> {
            let fresh = py.import(module.as_str())?;
            let reloaded = py.import("importlib")?.call_method1("reload", (fresh,))?;
            Ok(reloaded.getattr(attribute.as_str())?.unbind())
        };
        let broker = load().map_err(|err| {
            let mut error = exception_to_error(py, err);
            error.kind = ErrorKind::ExecError;
            error.message = format!("cannot reload {module}.{attribute}: {}", error.message);
            error
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

fn command_label(command: &Value) -> String {
    match command {
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}
