//! The reply slot of one task: the only place its outcome goes.

use std::sync::{Arc, Mutex};

use serde_value::Value;
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// Completes one caller's `pime::call`.
pub(crate) type ReplySender = oneshot::Sender<Result<Option<Value>>>;

/// Holds a task's [`ReplySender`] until the outcome is known. Shared (`Arc`) between
/// the job and, when a stop timeout is set, the engine's list of running tasks, so
/// whichever comes first answers the caller.
#[derive(Debug)]
pub(crate) struct ReplySlot(Mutex<Option<ReplySender>>);

impl ReplySlot {
    pub(crate) fn new(sender: Option<ReplySender>) -> Arc<Self> {
        Arc::new(ReplySlot(Mutex::new(sender)))
    }

    /// Takes the sender out; later calls get `None`.
    pub(crate) fn take(&self) -> Option<ReplySender> {
        // A poisoned lock only means a panic elsewhere; the slot itself is still sound.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Answers the caller with `error`, unless it was answered already.
    pub(crate) fn fail(&self, error: Error) {
        if let Some(sender) = self.take() {
            let _ = sender.send(Err(error));
        }
    }
}
