//! The reloads of one launch, for the subinterpreter workers: each task carries the
//! number of the latest reload when it was sent, and a worker whose broker is older
//! reloads it (in its own interpreter) before running the task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::waiting::lock;

/// The reloads of one launch: which broker a worker should serve a task with.
pub(crate) struct Reloads {
    generation: AtomicU64,
    latest: Mutex<(u64, (String, String))>,
}

impl Reloads {
    pub(super) fn new(origin: (String, String)) -> Self {
        Reloads {
            generation: AtomicU64::new(0),
            latest: Mutex::new((0, origin)),
        }
    }

    /// The latest reload's number, for a task being sent.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The latest reload and the broker it names.
    pub(super) fn latest(&self) -> (u64, (String, String)) {
        lock(&self.latest).clone()
    }

    /// The broker was reloaded (in the main interpreter) from `origin`: every worker
    /// reloads it before its next task.
    pub(crate) fn reloaded(&self, origin: (String, String)) {
        let mut latest = lock(&self.latest);
        let generation = latest.0 + 1;
        *latest = (generation, origin);
        self.generation.store(generation, Ordering::Release);
    }
}
