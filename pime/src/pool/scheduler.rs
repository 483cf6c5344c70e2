//! Who takes the next pooled task, and when a parked worker is woken for it.
//!
//! Only the GIL's holder runs Python, so a worker woken for a task that another worker
//! will take anyway only adds a thread to the GIL's contention: with a pool of 100 and
//! a flood of quick calls, a wake per task had up to 100 workers taking turns at the
//! GIL, each turn a wake-up and a switch. The rules, after Go's and tokio's "at most
//! one searching worker":
//!
//! * **Searching.** At most one idle worker searches for a task at a time (counted in
//!   `searching`). A caller that queues a task wakes a parked worker only when none
//!   is searching, and makes it the searcher. A searcher that takes a task stops
//!   searching and, once it holds the GIL, wakes a replacement when more is queued:
//!   blocking brokers (which release the GIL) so fan out to every worker, one wake
//!   at a time.
//! * **Draining.** A worker that finishes a task, still holding the GIL, takes the
//!   next queued task itself (see `workers.rs`), without a hand-off, until the queue
//!   is empty. One worker at a time does so as the *drainer* (it holds the drain
//!   token); another worker that finishes a task while the drainer keeps taking
//!   tasks goes back to parking: each of them draining too would only crowd the GIL.
//!   While the drainer takes tasks back to back, the searcher leaves the queue to it.
//! * **Stuck drainers.** A drainer that took no task for [`PATIENCE`] is blocked in
//!   its broker (sleeping, waiting on I/O, computing) or waits for the GIL: then the
//!   next worker that finishes a task takes the token over, and the searcher takes
//!   tasks once none was taken back to back for as long.
//!
//! A worker about to park registers first and looks at the queue after, and the last
//! searcher to stop looks again too, so a task queued meanwhile is never left with
//! every worker parked.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::waiting::lock;

/// How long a drainer may go without taking a task before other workers stop leaving
/// the queue to it: longer than a quick broker call and its conversions, short
/// enough that 100 blocking calls fan out to 100 workers within a few milliseconds.
pub(crate) const PATIENCE: Duration = Duration::from_micros(100);

/// Two drain-loop takes this close are back to back: quick tasks (a no-op call and
/// its conversions take a few µs), not workers returning from long brokers.
const BACK_TO_BACK: Duration = Duration::from_micros(20);

/// How long a searcher that leaves the queue to a busy drainer waits before it looks
/// again (a timed sleep: no core is kept busy meanwhile).
const NAP: Duration = Duration::from_micros(50);

/// A parked worker's bell.
#[derive(Default)]
pub(crate) struct Parker {
    state: Mutex<Bell>,
    rung: Condvar,
}

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Bell {
    #[default]
    Silent,
    /// Woken to search (the waker counted it in `searching`).
    Search,
    /// The queue is closed.
    Closed,
}

/// How a worker left [`Scheduler::park`].
pub(crate) enum Parked {
    /// Woken as the searcher.
    Search,
    /// Did not park: something is queued and nobody searches.
    Recheck,
    /// The queue is closed.
    Closed,
}

pub(crate) struct Scheduler {
    /// Workers searching: spinning, or woken and not yet holding a task.
    searching: AtomicUsize,
    /// Parked workers, the most recently parked last (woken first: its stack and
    /// caches are the warmest).
    parked: Mutex<ParkedList>,
    /// The worker that drains the queue (holds the drain token); 0: none.
    drainer: AtomicUsize,
    /// When the drainer last took a task, in ns since `epoch`.
    drained_at: AtomicU64,
    /// When the drainer took the task before.
    last_drained: AtomicU64,
    /// When a drain loop last took a task within [`BACK_TO_BACK`] of the one before.
    back_to_back_at: AtomicU64,
    epoch: Instant,
}

struct ParkedList {
    workers: Vec<Arc<Parker>>,
    closed: bool,
}

impl Scheduler {
    pub(crate) fn new() -> Scheduler {
        Scheduler {
            searching: AtomicUsize::new(0),
            parked: Mutex::new(ParkedList {
                workers: Vec::new(),
                closed: false,
            }),
            drainer: AtomicUsize::new(0),
            drained_at: AtomicU64::new(0),
            last_drained: AtomicU64::new(0),
            back_to_back_at: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Becomes the searcher if nobody searches. `true`: the caller now counts in
    /// `searching` (and must wake or start a worker for it, or give it back).
    pub(crate) fn claim_search(&self) -> bool {
        self.searching.load(Ordering::SeqCst) == 0
            && self
                .searching
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
    }

    /// Counts one more searcher, whatever the count (the queue is closed: every
    /// worker looks for the rest of it, then ends).
    pub(crate) fn search_anyway(&self) {
        self.searching.fetch_add(1, Ordering::SeqCst);
    }

    /// Stops counting one searcher; `true` when it was the last one.
    pub(crate) fn stop_searching(&self) -> bool {
        self.searching.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Wakes the most recently parked worker as the searcher a [`claim_search`] counted.
    /// `false`: none is parked.
    ///
    /// [`claim_search`]: Scheduler::claim_search
    pub(crate) fn unpark_one(&self) -> bool {
        let Some(parker) = lock(&self.parked).workers.pop() else {
            return false;
        };
        parker.ring(Bell::Search);
        true
    }

    /// Whether any worker is parked.
    pub(crate) fn any_parked(&self) -> bool {
        !lock(&self.parked).workers.is_empty()
    }

    /// Parks `me` until a caller or a searcher wakes it as the searcher, or the queue
    /// is closed. `work_waiting` (something queued) is asked after registering: when
    /// it holds and nobody searches, `me` does not park.
    pub(crate) fn park(&self, me: &Arc<Parker>, work_waiting: impl Fn() -> bool) -> Parked {
        {
            let mut parked = lock(&self.parked);
            if parked.closed {
                return Parked::Closed;
            }
            *lock(&me.state) = Bell::Silent;
            parked.workers.push(Arc::clone(me));
        }
        if work_waiting() && self.searching.load(Ordering::SeqCst) == 0 {
            let mut parked = lock(&self.parked);
            if let Some(at) = parked.workers.iter().position(|w| Arc::ptr_eq(w, me)) {
                parked.workers.remove(at);
                return Parked::Recheck;
            }
            // Someone took `me` off the list meanwhile: its bell is on the way.
        }
        match me.wait() {
            Bell::Closed => Parked::Closed,
            _ => Parked::Search,
        }
    }

    /// Wakes every parked worker for good: the queue is closed.
    pub(crate) fn close(&self) {
        let woken = {
            let mut parked = lock(&self.parked);
            parked.closed = true;
            std::mem::take(&mut parked.workers)
        };
        for parker in woken {
            parker.ring(Bell::Closed);
        }
    }

    /// The time in ns since the pool started: what the drainer stamps its takes with
    /// (and measures its budget by: one clock read per task).
    pub(crate) fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Makes worker `me` (any number but 0) the drainer: when nobody drains, or the
    /// drainer is stuck (it took no task for [`PATIENCE`]: blocked in a broker, or
    /// waiting for the GIL this worker holds). `false`: a drainer is taking tasks.
    /// A stuck drainer that comes back finds the token gone, and leaves the queue to
    /// the new one; so one worker at a time drains, whatever happens to the others.
    pub(crate) fn claim_drain(&self, me: usize) -> bool {
        let current = self.drainer.load(Ordering::Acquire);
        if current == me {
            return true;
        }
        if current != 0 && self.drainer_active() {
            return false;
        }
        let claimed = self
            .drainer
            .compare_exchange(current, me, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if claimed {
            self.drained_at.store(self.now(), Ordering::Relaxed);
        }
        claimed
    }

    /// Worker `me` found the queue empty: it stops draining (unless the token has
    /// moved on).
    pub(crate) fn stop_draining(&self, me: usize) {
        let _ = self
            .drainer
            .compare_exchange(me, 0, Ordering::AcqRel, Ordering::Relaxed);
    }

    /// The drainer took a task at `now` (from [`Scheduler::now`]).
    pub(crate) fn drained(&self, now: u64) {
        self.drained_at.store(now, Ordering::Relaxed);
        let previous = self.last_drained.swap(now, Ordering::Relaxed);
        if now.saturating_sub(previous) < BACK_TO_BACK.as_nanos() as u64 {
            self.back_to_back_at.store(now, Ordering::Relaxed);
        }
    }

    /// Whether the drainer takes queued tasks back to back (quick ones): the searcher
    /// then leaves the queue to it. Workers coming back from long brokers one by one (each
    /// taking a task, say, every 100 µs) are not: a task queued meanwhile should not
    /// wait for the next of them.
    pub(crate) fn draining_back_to_back(&self) -> bool {
        self.now()
            .saturating_sub(self.back_to_back_at.load(Ordering::Relaxed))
            < PATIENCE.as_nanos() as u64
    }

    /// Whether the drainer is taking tasks (it took one within [`PATIENCE`]).
    fn drainer_active(&self) -> bool {
        self.drainer.load(Ordering::Acquire) != 0
            && self
                .now()
                .saturating_sub(self.drained_at.load(Ordering::Relaxed))
                < PATIENCE.as_nanos() as u64
    }

    /// The searcher leaves the queue to the drainer for a moment.
    pub(crate) fn nap(&self) {
        std::thread::sleep(NAP);
    }
}

impl Parker {
    fn ring(&self, bell: Bell) {
        *lock(&self.state) = bell;
        self.rung.notify_one();
    }

    fn wait(&self) -> Bell {
        let mut state = lock(&self.state);
        while *state == Bell::Silent {
            state = self.rung.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        std::mem::take(&mut *state)
    }
}
