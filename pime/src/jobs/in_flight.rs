//! Counts the tasks that have started (in a pool worker, or handed to a user's
//! executor) and not finished yet, and bounds those in a user's executor.
//!
//! A user's executor has an unbounded queue of its own, so without this bound a flood
//! of `no_wait` tasks would pile up in Python memory. (The built-in pool needs no such
//! bound: its queue is bounded and each worker runs one task at a time.) The hot path
//! is one atomic add and one atomic subtract per task; the mutex and condvar are only
//! touched when the bound is reached or when `stop` waits for the last task.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use super::reply::ReplySlot;
use crate::error::Error;
use crate::stats::{Counters, COUNTERS};
use crate::waiting::{lock, wait_until};

/// Shared by the engine loop (which enters) and the jobs (which leave).
#[derive(Debug)]
pub(crate) struct InFlight {
    count: AtomicUsize,
    limit: usize,
    lock: Mutex<()>,
    changed: Condvar,
    /// The reply slots of the tasks in flight, kept only when a stop timeout is set, so
    /// that `stop` can answer the callers of tasks that never finish. (Only threads
    /// holding the GIL touch it, so it is never contended.)
    outstanding: Option<Mutex<HashMap<usize, Arc<ReplySlot>>>>,
}

impl InFlight {
    /// `keep_replies`: keep every task's reply slot, for [`InFlight::fail_outstanding`].
    pub(crate) fn new(limit: usize, keep_replies: bool) -> Self {
        InFlight {
            count: AtomicUsize::new(0),
            limit,
            lock: Mutex::new(()),
            changed: Condvar::new(),
            outstanding: keep_replies.then(Mutex::default),
        }
    }

    /// Answers the callers of every task still in flight with `error`.
    pub(crate) fn fail_outstanding(&self, error: &Error) {
        let slots: Vec<_> = match &self.outstanding {
            Some(outstanding) => lock(outstanding).drain().map(|(_, slot)| slot).collect(),
            None => return,
        };
        for slot in slots {
            slot.fail(error.clone());
        }
    }

    /// How many tasks are in flight now.
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Registers one more task if the executor holds fewer than `limit`.
    pub(crate) fn try_enter(&self) -> bool {
        self.count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .is_ok()
    }

    /// Registers one more task whatever the bound (a pool worker's, which is bounded
    /// by the number of workers).
    pub(crate) fn enter(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    /// Registers one more task, waiting for room first. Call it with the GIL
    /// released: the tasks that make room need the GIL to finish.
    pub(crate) fn enter_blocking(&self) {
        wait_until(&self.changed, lock(&self.lock), None, |_| self.try_enter());
    }

    /// One task finished.
    pub(crate) fn leave(&self) {
        let before = self.count.fetch_sub(1, Ordering::AcqRel);
        // Someone may wait only when the executor was full or the last task left.
        if before >= self.limit || before == 1 {
            let _guard = lock(&self.lock);
            self.changed.notify_all();
        }
    }

    /// Waits until no task is in flight, or until `deadline` passes; returns
    /// whether it drained. Call it with the GIL released.
    pub(crate) fn wait_drained(&self, deadline: Option<std::time::Instant>) -> bool {
        wait_until(&self.changed, lock(&self.lock), deadline, |_| {
            self.count() == 0
        })
    }
}

/// One task's place in [`InFlight`]; leaving is tied to drop, so a task that is
/// cancelled, refused or dropped without running also leaves.
#[derive(Debug)]
pub(crate) struct Ticket {
    in_flight: Arc<InFlight>,
    /// The key of the task's reply slot in [`InFlight::outstanding`], when kept.
    key: Option<usize>,
}

impl Ticket {
    /// For a task that already [entered](InFlight::try_enter) `in_flight`.
    /// Only threads holding the GIL make tickets.
    pub(crate) fn new(in_flight: Arc<InFlight>, reply: &Arc<ReplySlot>) -> Self {
        Counters::bump(&COUNTERS.entered_executor);
        let key = in_flight.outstanding.as_ref().map(|outstanding| {
            let key = Arc::as_ptr(reply) as usize;
            lock(outstanding).insert(key, Arc::clone(reply));
            key
        });
        Ticket { in_flight, key }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let (Some(key), Some(outstanding)) = (self.key, &self.in_flight.outstanding) {
            lock(outstanding).remove(&key);
        }
        self.in_flight.leave();
        Counters::bump(&COUNTERS.finished_in_executor);
    }
}
