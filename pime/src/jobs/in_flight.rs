//! The one bound on tasks, and the gauges that count them.
//!
//! Every task of every kind (sync, coroutine, stream, `no_wait`, exclusive, on a
//! user's executor) takes an [`Admission`] from its launch's [`InFlight`] before it is
//! queued, waiting for one when `limit` tasks are admitted already (backpressure), and
//! keeps it until it has ended — its broker returned, its coroutine finished, its
//! stream ended — or until it is dropped unrun, whatever the path. So the queues may
//! grow with use (they are unbounded channels) while the number of tasks queued or
//! running never exceeds the limit, and the `queued` / `in_flight` gauges of
//! [`crate::stats`] are kept by the same object: they return to 0 once nothing is
//! running or waiting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use pyo3::Python;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::reply::ReplySlot;
use crate::error::{Error, Result};
use crate::stats::{Gauge, Outcome, COUNTERS};
use crate::waiting::{lock, wait_until};

/// The admissions of one launch.
#[derive(Debug)]
pub(crate) struct InFlight {
    permits: Arc<Semaphore>,
    /// Admissions alive (queued or running); `stop` waits for 0.
    live: AtomicUsize,
    lock: Mutex<()>,
    drained: Condvar,
    /// The reply slots of the running tasks, kept only when a stop timeout is set, so
    /// that `stop` can answer the callers of tasks that never finish.
    outstanding: Option<Mutex<HashMap<usize, Arc<ReplySlot>>>>,
}

impl InFlight {
    /// At most `limit` tasks admitted at once. `keep_replies`: keep every running
    /// task's reply slot, for [`InFlight::fail_outstanding`].
    pub(crate) fn new(limit: usize, keep_replies: bool) -> Self {
        InFlight {
            permits: Arc::new(Semaphore::new(limit)),
            live: AtomicUsize::new(0),
            lock: Mutex::new(()),
            drained: Condvar::new(),
            outstanding: keep_replies.then(Mutex::default),
        }
    }

    /// Admits one task, waiting for room; an error once the launch is stopping.
    pub(crate) async fn admit(self: &Arc<Self>) -> Result<Admission> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(tokio::sync::TryAcquireError::NoPermits) => Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .map_err(|_| Error::refused())?,
            Err(tokio::sync::TryAcquireError::Closed) => return Err(Error::refused()),
        };
        Ok(self.admission(Some(permit)))
    }

    /// Admits a task at once, beyond the limit if need be: a task sent by a host
    /// function, on behalf of a task admitted already (part of its work). Waiting for
    /// room there could wait forever: the places may all be held by tasks that wait
    /// for such tasks. An error once the launch is stopping.
    pub(crate) fn admit_nested(self: &Arc<Self>) -> Result<Admission> {
        match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => Ok(self.admission(Some(permit))),
            Err(tokio::sync::TryAcquireError::NoPermits) => Ok(self.admission(None)),
            Err(tokio::sync::TryAcquireError::Closed) => Err(Error::refused()),
        }
    }

    fn admission(self: &Arc<Self>, permit: Option<OwnedSemaphorePermit>) -> Admission {
        self.live.fetch_add(1, Ordering::AcqRel);
        COUNTERS.submitted();
        COUNTERS.gauge_up(Gauge::Queued);
        Admission {
            _permit: permit,
            in_flight: Arc::clone(self),
            running: None,
            outcome: Outcome::Failed,
        }
    }

    /// Whether at most one task is admitted (queued or running): a caller making one
    /// call at a time.
    pub(crate) fn alone(&self) -> bool {
        self.live.load(Ordering::Relaxed) <= 1
    }

    /// Refuses admissions from now on; callers waiting for room get an error.
    pub(crate) fn close(&self) {
        self.permits.close();
    }

    /// Waits until no admission is alive, or until `deadline` passes; returns whether
    /// it drained. Call it with the GIL released (the tasks need it to end).
    pub(crate) fn wait_drained(&self, deadline: Option<Instant>) -> bool {
        wait_until(&self.drained, lock(&self.lock), deadline, |_| {
            self.live.load(Ordering::Acquire) == 0
        })
    }

    /// Answers the callers of every task still running with `error`, and interrupts
    /// their brokers where interrupt on deadline is on.
    pub(crate) fn fail_outstanding(&self, py: Python<'_>, error: &Error) {
        for slot in self.take_outstanding() {
            if let Some(interrupt) = &slot.interrupt {
                interrupt.raise(py);
            }
            slot.fail_for_stop(error.clone());
        }
    }

    /// [`InFlight::fail_outstanding`] from a thread without the GIL: the interrupts are
    /// raised from threads of their own.
    pub(crate) fn fail_outstanding_soon(&self, error: &Error) {
        for slot in self.take_outstanding() {
            if let Some(interrupt) = &slot.interrupt {
                Arc::clone(interrupt).raise_soon();
            }
            slot.fail_for_stop(error.clone());
        }
    }

    fn take_outstanding(&self) -> Vec<Arc<ReplySlot>> {
        match &self.outstanding {
            Some(outstanding) => lock(outstanding).drain().map(|(_, slot)| slot).collect(),
            None => Vec::new(),
        }
    }
}

/// One task's place under the bound, from before it is queued until it has ended.
/// Dropping it (however the task ends, or if it is dropped unrun) frees the place.
#[derive(Debug)]
pub(crate) struct Admission {
    /// `None` for a nested task admitted beyond the limit.
    _permit: Option<OwnedSemaphorePermit>,
    in_flight: Arc<InFlight>,
    /// `Some` once the task runs: the key of its reply slot in `outstanding`, if kept.
    running: Option<Option<usize>>,
    /// How the task ended, counted when the admission is dropped: failed unless told
    /// otherwise (a task dropped unrun at stop failed; its caller got an error).
    outcome: Outcome,
}

impl Admission {
    /// The task has started on a thread holding the GIL (or was handed to an
    /// executor): it counts as in flight, no longer as queued.
    pub(crate) fn start(&mut self, reply: &Arc<ReplySlot>) {
        if self.running.is_some() {
            return;
        }
        let key = self.in_flight.outstanding.as_ref().map(|outstanding| {
            let key = Arc::as_ptr(reply) as usize;
            lock(outstanding).insert(key, Arc::clone(reply));
            key
        });
        self.running = Some(key);
        COUNTERS.gauge_down(Gauge::Queued);
        COUNTERS.gauge_up(Gauge::Running);
    }
}

impl Admission {
    /// The task ended with `outcome`; its place is free.
    pub(crate) fn end(mut self, outcome: Outcome) {
        self.outcome = outcome;
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        COUNTERS.ended(self.outcome);
        let in_flight = &self.in_flight;
        match self.running {
            Some(key) => {
                if let (Some(key), Some(outstanding)) = (key, &in_flight.outstanding) {
                    lock(outstanding).remove(&key);
                }
                COUNTERS.gauge_down(Gauge::Running);
            }
            None => COUNTERS.gauge_down(Gauge::Queued),
        }
        if in_flight.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _guard = lock(&in_flight.lock);
            in_flight.drained.notify_all();
        }
    }
}
