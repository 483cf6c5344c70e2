//! What travels into the engine thread through its queue.

use pyo3::{Py, PyAny};
use tokio::sync::oneshot;

use std::sync::Arc;

use super::in_flight::Admission;
use super::interrupt::Interrupt;
use super::reply::ReplyTo;
use crate::error::{Error, Result};
use crate::python::call_span::CallSpan;
use crate::python::coroutines::cancel_soon;
use crate::task::PyTask;

/// A task on its way to the thread that runs it: where its outcome goes (`None` for
/// `no_wait`), and its place under the engine's bound.
pub(crate) struct Submission {
    pub(crate) task: PyTask,
    pub(crate) reply: Option<ReplyTo>,
    pub(crate) admission: Admission,
    /// With interrupt on deadline: the handle the caller and `stop` interrupt with.
    pub(crate) interrupt: Option<Arc<Interrupt>>,
    /// The call's tracing span (feature `tracing`).
    pub(crate) span: CallSpan,
}

impl Submission {
    /// Answers the caller with `error` (the task is dropped unrun; it counts as failed).
    pub(crate) fn fail(self, error: Error) {
        if let Some(reply) = self.reply {
            reply.fail(error);
        }
    }
}

/// One message for the engine thread.
pub(crate) enum Envelope {
    /// An exclusive task, or any task when the engine runs them on a user's executor.
    Task(Submission),
    /// Re-import the broker's module and serve new tasks with the new broker.
    Reload(ReloadRequest),
    /// Cancel this `concurrent.futures.Future` of a coroutine whose caller went away.
    Cancel(Py<PyAny>),
    /// Finish what was sent before, refuse what comes after, then return from `launch`.
    Stop,
}

impl Envelope {
    /// Answers what the envelope asks for without doing it (the launch is ending):
    /// a task with `error`, a reload with an error; a stop needs nothing. A cancel is
    /// still done (from a thread of its own: the event loop outlives the launch, and a
    /// stop waits for the coroutine).
    pub(crate) fn refuse(self, error: Error) {
        match self {
            Envelope::Task(submission) => submission.fail(error),
            Envelope::Reload(request) => {
                let _ = request.done.send(Err(Error::engine_state(
                    "the PIME engine stopped before reloading",
                )));
            }
            Envelope::Cancel(future) => cancel_soon(future),
            Envelope::Stop => {}
        }
    }
}

/// A hot-reload request: which broker to load (`None`: the current one's module and
/// attribute again), and where to say how it went.
pub(crate) struct ReloadRequest {
    pub(crate) target: Option<(String, String)>,
    pub(crate) done: oneshot::Sender<Result<()>>,
}
