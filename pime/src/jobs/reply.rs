//! Where a task's outcome goes: a one-shot reply, or a stream of items.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::{Py, PyAny};
use serde_value::Value;
use tokio::sync::{mpsc, oneshot};

use super::interrupt::Interrupt;
use crate::error::{Error, Result};
use crate::python::coroutines::cancel_soon;
use crate::task::PyTask;
use crate::waiting::lock;

/// Completes one caller's `pime::call`.
pub(crate) type ReplySender = oneshot::Sender<Answer>;

/// What a `pime::call` receives: the outcome and, once converted, the task's own
/// values, for the caller's thread to free. That thread allocated them: glibc's
/// allocator gives a block freed on another thread back to the allocating thread's
/// arena under that arena's lock once a small per-thread cache is full, so the thread
/// holding the GIL freeing what callers allocate, call after call, contended with
/// them for that lock (a quarter of its CPU per no-op call, `pime-bench/README.md`).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) outcome: Result<Option<Value>>,
    pub(crate) spent: Option<PyTask>,
}

/// One message of a streamed result (`pime::call_stream`).
#[derive(Debug)]
pub(crate) enum StreamEvent {
    Item(Value),
    Error(Error),
    /// The generator is exhausted. A stream whose channel closes without it was cut.
    End,
}

/// Feeds one caller's `PyStream`.
pub(crate) type StreamSender = mpsc::Sender<StreamEvent>;

/// How the caller waits for the outcome.
#[derive(Debug)]
pub(crate) enum ReplyTo {
    Once(ReplySender),
    Stream(StreamSender),
}

impl ReplyTo {
    /// The caller has dropped its future or stream.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            ReplyTo::Once(sender) => sender.is_closed(),
            ReplyTo::Stream(sender) => sender.is_closed(),
        }
    }

    /// Answers with `error` (for a stream: as its last item, if there is room).
    pub(crate) fn fail(self, error: Error) {
        match self {
            ReplyTo::Once(sender) => {
                let _ = sender.send(Answer {
                    outcome: Err(error),
                    spent: None,
                });
            }
            // A full stream cannot take the error without blocking; dropping the sender
            // then tells the stream it was cut, which is an error too.
            ReplyTo::Stream(sender) => {
                let _ = sender.try_send(StreamEvent::Error(error));
            }
        }
    }
}

/// Holds a task's [`ReplyTo`] until the outcome is known (`None` inside for
/// `no_wait`). Shared (`Arc`) between the job and, when a stop timeout is set, the
/// engine's list of running tasks, so whichever comes first answers the caller.
#[derive(Debug)]
pub(crate) struct ReplySlot {
    reply: Mutex<Option<ReplyTo>>,
    /// The stop sequence answered the caller with an error (past its deadline).
    failed_by_stop: AtomicBool,
    /// With interrupt on deadline: the handle that interrupts the running broker.
    pub(crate) interrupt: Option<Arc<Interrupt>>,
    /// The future of the task's coroutine on the event loop, once it has one: the
    /// stop sequence cancels it at the deadline (the loop outlives the launch).
    coroutine: Mutex<Option<Py<PyAny>>>,
}

impl ReplySlot {
    pub(crate) fn new(reply: Option<ReplyTo>, interrupt: Option<Arc<Interrupt>>) -> Arc<Self> {
        Arc::new(ReplySlot {
            reply: Mutex::new(reply),
            failed_by_stop: AtomicBool::new(false),
            interrupt,
            coroutine: Mutex::new(None),
        })
    }

    /// Takes the reply out; later calls get `None`.
    pub(crate) fn take(&self) -> Option<ReplyTo> {
        // A poisoned lock only means a panic elsewhere; the slot itself is still sound.
        lock(&self.reply).take()
    }

    /// Runs `f` on the reply still waiting in the slot, if any.
    pub(crate) fn with_reply<R>(&self, f: impl FnOnce(Option<&mut ReplyTo>) -> R) -> R {
        f(lock(&self.reply).as_mut())
    }

    /// Whether the caller is gone (so the task need not run).
    pub(crate) fn is_abandoned(&self) -> bool {
        lock(&self.reply).as_ref().is_some_and(ReplyTo::is_closed)
    }

    /// Whether the caller waits for a stream.
    pub(crate) fn is_stream(&self) -> bool {
        matches!(*lock(&self.reply), Some(ReplyTo::Stream(_)))
    }

    /// Answers the caller with `error`, unless it was answered already.
    pub(crate) fn fail(&self, error: Error) {
        if let Some(reply) = self.take() {
            reply.fail(error);
        }
    }

    /// Answers the caller with `error` for the stop sequence: the task counts as
    /// failed whatever its broker returns later.
    pub(crate) fn fail_for_stop(&self, error: Error) {
        if let Some(reply) = self.take() {
            self.failed_by_stop.store(true, Ordering::Release);
            reply.fail(error);
        }
        // Its caller has its answer: a coroutine still running would run for nothing.
        if let Some(coroutine) = lock(&self.coroutine).take() {
            cancel_soon(coroutine);
        }
    }

    /// Remembers the future of the task's coroutine, for [`ReplySlot::fail_for_stop`].
    pub(crate) fn set_coroutine(&self, future: Py<PyAny>) {
        *lock(&self.coroutine) = Some(future);
    }

    /// Forgets the coroutine's future (the task has ended): the future's done-callback
    /// holds the job that holds this slot, a cycle Python's collector cannot see.
    pub(crate) fn forget_coroutine(&self) {
        drop(self.take_coroutine());
    }

    /// The coroutine's future, if the task still has one (to cancel it).
    pub(crate) fn take_coroutine(&self) -> Option<Py<PyAny>> {
        lock(&self.coroutine).take()
    }

    /// Whether [`ReplySlot::fail_for_stop`] answered the caller.
    pub(crate) fn failed_by_stop(&self) -> bool {
        self.failed_by_stop.load(Ordering::Acquire)
    }

    /// A sender of the caller's stream (the slot keeps its own).
    pub(crate) fn stream_sender(&self) -> Option<StreamSender> {
        match &*lock(&self.reply) {
            Some(ReplyTo::Stream(sender)) => Some(sender.clone()),
            _ => None,
        }
    }
}
