//! What every task of one launch shares, on whichever path it runs.

use tokio::sync::{mpsc, watch};

use super::envelope::Envelope;

/// What every job of one launch shares.
#[derive(Debug)]
pub(crate) struct JobSettings {
    /// Log every task at `debug` level.
    pub(crate) debug: bool,
    /// The way into this launch's engine thread, for cancelling coroutines. Weak, so
    /// that jobs do not keep the engine's queue open, and a job of an earlier launch
    /// never reaches a later one.
    pub(crate) engine: mpsc::WeakUnboundedSender<Envelope>,
    /// Turns true when the launch stops: streams still running end then.
    pub(crate) stopping: watch::Receiver<bool>,
}
