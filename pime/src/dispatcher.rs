//! The engine loop: takes tasks off the queue and hands them to the executor.

use std::sync::Arc;

use pyo3::prelude::*;
use serde_value::Value;
use tokio::sync::mpsc;

use crate::error::{ErrorKind, Result};
use crate::in_flight::{InFlight, Ticket};
use crate::job::{exception_to_error, Job};
use crate::reply::{ReplySender, ReplySlot};
use crate::state::Envelope;
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
    pub(crate) broker: Py<PyAny>,
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
                }
                next = queue.try_recv().ok();
            }
        }
    }

    fn dispatch(&self, task: PyTask, sender: Option<ReplySender>) {
        if sender.as_ref().is_some_and(|r| r.is_closed()) {
            return; // The caller is gone before the task started: cancelled.
        }
        let py = self.py;
        let no_wait = sender.is_none();
        let reply = ReplySlot::new(sender);
        let (command, params) = match self.convert(&task) {
            Ok(converted) => converted,
            Err(error) => return reply.fail(error),
        };
        let label = self.debug.then(|| command_label(&task.command));
        let broker = self.broker.clone_ref(py);
        if task.exclusive {
            Job::new(broker, command, params, reply, no_wait, label, None).__call__(py);
            return;
        }
        if !self.in_flight.try_enter() {
            // The executor is full: wait for room with the GIL released.
            let in_flight = &*self.in_flight;
            py.detach(|| in_flight.enter_blocking());
        }
        let ticket = Ticket::new(Arc::clone(&self.in_flight), &reply);
        let job = Job::new(
            broker.clone_ref(py),
            command.clone_ref(py),
            params.clone_ref(py),
            reply,
            no_wait,
            label,
            Some(ticket),
        );
        let job = match Bound::new(py, job) {
            Ok(job) => job,
            Err(e) => {
                log::error!(target: "pime", "cannot allocate a job: {e}");
                return;
            }
        };
        let submitted = match self.submission {
            Submission::Callable => self.submit.call1((&job,)).map(drop),
            Submission::FutureCallback => self
                .submit
                .call1((broker, command, params))
                .and_then(|future| {
                    future.call_method1("add_done_callback", (job.getattr("complete")?,))
                })
                .map(drop),
        };
        if let Err(err) = submitted {
            let mut error = exception_to_error(py, err);
            error.kind = ErrorKind::ExecError;
            job.get().fail(error);
        }
    }

    /// The task's command and params as Python objects.
    fn convert(&self, task: &PyTask) -> Result<(Py<PyAny>, Py<PyAny>)> {
        let py = self.py;
        let command = value::to_python(py, &task.command, "command")?;
        let params = match &task.params {
            Some(params) => value::params_to_python(py, params)?,
            None => py.None().into_bound(py),
        };
        Ok((command.unbind(), params.unbind()))
    }
}

fn command_label(command: &Value) -> String {
    match command {
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}
