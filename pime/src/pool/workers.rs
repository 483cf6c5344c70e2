//! The built-in thread pool: long-lived Rust threads (`pime-worker-N`), each attached
//! to Python for its whole life, that take pooled tasks straight from `pime::call`.
//!
//! The caller puts the task in a bounded queue that idle workers wait on with the GIL
//! released; the worker that takes it converts the params, calls the broker and
//! answers the caller: one wake-up and one GIL acquisition, like a hand-written
//! `spawn_blocking(|| Python::attach(..))` but without creating a Python thread state
//! per call. (A Python `ThreadPoolExecutor` fed by the engine thread would cross three
//! threads and take the GIL twice; `pime-bench/README.md` has the measurements.)
//!
//! * `min` workers start (and attach) before the engine goes online; more start when a
//!   task comes and no worker is idle, up to `max`; they stay until the engine stops.
//! * Which worker takes a task, and when a parked one is woken, is [`scheduler`]'s
//!   business: at most one idle worker searches, and a worker that finishes a task
//!   runs the queued ones under the same GIL hold (see [`drain`]).
//! * The launch's bound (`jobs/in_flight.rs`) limits how many tasks the queue holds;
//!   `pime::call` waits for room (backpressure).
//! * `stop` closes the queue: the workers run what is in it, then end. After a stop
//!   timeout the tasks still queued get an error and the workers still running are
//!   abandoned: they end on their own once their broker returns, and can take nothing
//!   from a later launch, whose queue is a new one.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use concurrent_queue::{ConcurrentQueue, PopError};
use pyo3::prelude::*;

use super::gil_handoff;
use super::scheduler::{Parked, Parker, Scheduler};
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{Job, JobSettings, SharedBroker, Submission};
use crate::python::exceptions::panic_to_error;
use crate::python::sources;
use crate::spin::SPIN_BEFORE_PARKING;
use crate::waiting::{Alive, Census};

/// The stack of a worker thread: what a thread started by Python gets on Linux by
/// default (the pthread default, 8 MiB), rather than Rust's 2 MiB, so a broker that
/// recurses deeply through C code behaves as it would in a Python thread. Only the
/// pages used are committed. The engine thread gets the same.
pub(crate) const WORKER_STACK_SIZE: usize = 8 << 20;

/// How long a worker runs queued tasks under one GIL hold before it lets the GIL go
/// for a moment: CPython's default switch interval, so a flood of quick calls lets
/// the event loop and other Python threads in as often as Python itself would.
const DRAIN_BUDGET: Duration = Duration::from_millis(5);

/// A pooled task on its way to a worker, with where its outcome goes and the broker
/// that was current when it was sent (a task sent before a reload runs on the old
/// broker even if it starts after, as it did when tasks went through the engine's
/// queue in order with reloads).
pub(crate) struct PoolTask {
    submission: Submission,
    broker: Arc<Py<PyAny>>,
}

/// How the pool is set up for one launch.
pub(crate) struct PoolConfig {
    pub(crate) min_workers: usize,
    pub(crate) max_workers: usize,
    pub(crate) settings: Arc<JobSettings>,
}

/// What the callers, the workers and the engine share for one launch.
pub(super) struct Shared {
    /// Callers push tasks, workers pop them; the engine drains it after a stop
    /// timeout. A bare lock-free queue: workers never block on it (they park on the
    /// scheduler's bells), so a channel's wait lists would only cost each push and
    /// pop a lock.
    pub(super) tasks: ConcurrentQueue<PoolTask>,
    /// Read by callers as they send (see [`PoolTask`]).
    broker: Arc<SharedBroker>,
    settings: Arc<JobSettings>,
    max_workers: usize,
    /// Searching, parking and draining.
    scheduler: Scheduler,
    /// Worker threads alive (started and not ended).
    census: Census,
    /// Set when `stop` gave up on the running tasks: a worker then fails whatever it
    /// takes from the queue instead of running it.
    abandoned: AtomicBool,
    /// Workers waiting in a host call: each lends its place under `max_workers` to
    /// another worker, so tasks the host call sends (or any other) still run.
    pub(super) lent: AtomicUsize,
    next_number: AtomicUsize,
}

/// The callers' way into the pool (published while the engine is online).
pub(crate) struct PoolSender {
    shared: Arc<Shared>,
}

/// The engine's handle on the pool of one launch. Dropping it (as a panicking engine
/// thread does) closes the queue, so the workers finish what is in it and end.
pub(crate) struct WorkerPool {
    shared: Arc<Shared>,
}

/// How a worker thread begins.
enum Start {
    /// Pre-started: says on `ready` when it waits for tasks.
    Ready(std::sync::mpsc::Sender<()>),
    /// Started for a task, as the searcher its starter counted.
    Searching,
}

impl WorkerPool {
    /// Starts `min_workers` workers and waits (GIL released) until each is attached to
    /// Python and waiting for tasks.
    pub(crate) fn start(
        py: Python<'_>,
        config: &PoolConfig,
        broker: Arc<SharedBroker>,
    ) -> Result<(WorkerPool, PoolSender)> {
        // Unbounded, so its memory grows with use: the launch's `InFlight` bounds how
        // many tasks can be in it.
        let shared = Arc::new(Shared {
            tasks: ConcurrentQueue::unbounded(),
            broker,
            settings: Arc::clone(&config.settings),
            max_workers: config.max_workers,
            scheduler: Scheduler::new(),
            census: Census::default(),
            abandoned: AtomicBool::new(false),
            lent: AtomicUsize::new(0),
            next_number: AtomicUsize::new(0),
        });
        let pool = WorkerPool {
            shared: Arc::clone(&shared),
        };
        let (ready_sender, ready) = std::sync::mpsc::channel();
        for _ in 0..config.min_workers {
            if !shared.reserve_worker() {
                break;
            }
            shared
                .spawn_worker(Start::Ready(ready_sender.clone()))
                .map_err(|e| spawn_error(&e))?;
        }
        drop(ready_sender);
        // Each worker says when it waits for tasks; one that died first drops its
        // sender, which ends this wait too.
        py.detach(move || while ready.recv().is_ok() {});
        Ok((pool, PoolSender { shared }))
    }

    /// Refuses new tasks; the workers run the tasks already queued, then end.
    pub(crate) fn close(&self) {
        self.shared.tasks.close();
        self.shared.scheduler.close();
    }

    /// Waits until every worker has ended, or until `deadline`; returns whether they
    /// did. Call it with the GIL released (the workers need it to finish).
    pub(crate) fn wait_ended(&self, deadline: Option<Instant>) -> bool {
        self.shared.census.wait_none(deadline)
    }

    /// After a stop timeout: answers the callers of the tasks still queued with
    /// `error`, and makes the workers do the same with any task they take from now on.
    /// (A worker that took one just before registers it in flight first, so the
    /// engine's `fail_outstanding` that follows answers its caller.)
    pub(crate) fn abandon(&self, error: &Error) {
        self.shared.abandoned.store(true, Ordering::SeqCst);
        self.close();
        self.shared.fail_queued(error);
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.close();
    }
}

impl PoolSender {
    /// Queues a task for the workers; wakes (or starts) a worker for it only when no
    /// worker is searching already.
    pub(crate) fn submit(&self, submission: Submission) -> Result<()> {
        let broker = self.shared.broker.current();
        self.shared
            .tasks
            .push(PoolTask { submission, broker })
            .map_err(|_| Error::refused())?;
        // The queue's push before the look at `searching` (the searcher's side looks
        // at the queue after it stops counting).
        std::sync::atomic::fence(Ordering::SeqCst);
        self.shared.wake_searcher();
        Ok(())
    }
}

/// A task a searcher took; `last`: it was the last searcher, so the role passes on
/// if more is queued.
struct Found {
    task: PoolTask,
    last: bool,
}

/// What a searcher found. (Returned by value once per task, never stored: boxing
/// the task would cost an allocation on the hot path for nothing.)
#[allow(clippy::large_enum_variant)]
enum Searched {
    Task(PoolTask),
    Nothing,
    Closed,
}

impl Shared {
    /// Makes a worker the searcher, if none is: wakes a parked one, or starts one
    /// when none is parked and fewer than the maximum run.
    pub(super) fn wake_searcher(self: &Arc<Self>) {
        let scheduler = &self.scheduler;
        while scheduler.claim_search() {
            if scheduler.unpark_one() {
                return;
            }
            if self.reserve_worker() {
                if let Err(e) = self.spawn_worker(Start::Searching) {
                    scheduler.stop_searching();
                    log::error!(target: "pime", "{}", spawn_error(&e));
                    self.fail_queued_if_no_worker(&spawn_error(&e));
                }
                return;
            }
            // Every worker is busy and takes what is queued when it is done; but one
            // that registered to park while this claim stood did not look again.
            scheduler.stop_searching();
            if self.tasks.is_empty() || !scheduler.any_parked() {
                return;
            }
        }
    }

    /// Counts one more live worker if fewer than the maximum are alive (not counting
    /// those waiting in host calls).
    fn reserve_worker(&self) -> bool {
        let mut live = self.census.live();
        if *live < self.max_workers + self.lent.load(Ordering::SeqCst) {
            *live += 1;
            true
        } else {
            false
        }
    }

    /// Whether more workers are alive than the maximum allows now that fewer wait in
    /// host calls; if so, counts this one out (it ends).
    fn leave_if_over(&self) -> bool {
        let mut live = self.census.live();
        if *live > self.max_workers + self.lent.load(Ordering::SeqCst) {
            *live -= 1;
            self.census.notify();
            true
        } else {
            false
        }
    }

    /// Starts a worker for a place taken with [`Shared::reserve_worker`].
    fn spawn_worker(self: &Arc<Self>, start: Start) -> std::io::Result<()> {
        let number = self.next_number.fetch_add(1, Ordering::Relaxed);
        let name = format!("pime-worker-{number}");
        let shared = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(name.clone())
            .stack_size(WORKER_STACK_SIZE)
            .spawn(move || {
                let alive = Alive(&shared.census);
                SERVING.with(|serving| *serving.borrow_mut() = Some(Arc::clone(&shared)));
                if Python::attach(|py| work(py, &shared, number + 1, &name, start)) {
                    // `leave_if_over` counted it out already.
                    std::mem::forget(alive);
                }
            });
        if spawned.is_err() {
            self.census.ended();
        }
        spawned.map(drop)
    }

    /// Without any worker alive, nobody would ever take the queued tasks: fail them.
    fn fail_queued_if_no_worker(&self, error: &Error) {
        if *self.census.live() == 0 {
            self.fail_queued(error);
        }
    }

    /// Answers the callers of every task still queued with `error`.
    fn fail_queued(&self, error: &Error) {
        while let Ok(queued) = self.tasks.pop() {
            queued.submission.fail(error.clone());
        }
    }

    /// The next task for an idle worker (GIL released), or `None` once the queue is
    /// closed and empty: searches when nobody else does, parks otherwise.
    /// `searching`: the worker already counts as the searcher.
    fn find_task(self: &Arc<Self>, me: &Arc<Parker>, mut searching: bool) -> Option<Found> {
        let scheduler = &self.scheduler;
        // Whether this worker may become the searcher without parking first: not
        // right after its own search found nothing (it would spin on an idle
        // queue for ever, a core kept busy yielding).
        let mut may_claim = true;
        loop {
            let search_now = searching || (may_claim && scheduler.claim_search());
            if !search_now {
                match scheduler.park(me, || !self.tasks.is_empty()) {
                    Parked::Search => {}
                    Parked::Recheck => {
                        may_claim = true;
                        continue;
                    }
                    Parked::Closed => scheduler.search_anyway(),
                }
            }
            match self.search() {
                Searched::Task(task) => {
                    let last = scheduler.stop_searching();
                    return Some(Found { task, last });
                }
                Searched::Closed => {
                    scheduler.stop_searching();
                    return None;
                }
                Searched::Nothing => {
                    // Parking looks at the queue again after registering.
                    scheduler.stop_searching();
                    searching = false;
                    may_claim = false;
                }
            }
        }
    }

    /// Polls the queue for a moment (see `spin.rs`), leaving it to the drain loops
    /// while they take its tasks back to back.
    fn search(&self) -> Searched {
        let mut until = Instant::now() + SPIN_BEFORE_PARKING;
        loop {
            if self.scheduler.draining_back_to_back() && !self.tasks.is_empty() {
                self.scheduler.nap();
                until = Instant::now() + SPIN_BEFORE_PARKING;
                continue;
            }
            match self.tasks.pop() {
                Ok(task) => return Searched::Task(task),
                Err(PopError::Closed) => return Searched::Closed,
                Err(PopError::Empty) => {}
            }
            if Instant::now() >= until {
                return Searched::Nothing;
            }
            std::thread::yield_now();
        }
    }
}

/// A worker's life: find a task with the GIL released, take the GIL back promptly
/// (see [`gil_handoff`]), run it and what is queued after it, until the queue is
/// closed and empty, or until more workers are alive than the maximum allows
/// (workers that started while others waited in host calls end once those are
/// back). Returns whether it ended for the latter, counted out already.
fn work(py: Python<'_>, shared: &Arc<Shared>, id: usize, name: &str, start: Start) -> bool {
    name_python_thread(py, name, true);
    let mut searching = match start {
        Start::Ready(ready) => {
            let _ = ready.send(());
            false
        }
        Start::Searching => true,
    };
    let me = Arc::new(Parker::default());
    while let Some(found) = gil_handoff::detach_for_task(py, || shared.find_task(&me, searching)) {
        // The searcher's role passes on while more is queued — once this worker holds
        // the GIL: while another holds it and takes the tasks, a chain of replacements
        // that each take one and wait would only crowd the GIL.
        if found.last && !shared.tasks.is_empty() {
            shared.wake_searcher();
        }
        run(py, shared, found.task);
        drain(py, shared, id);
        searching = false;
        if shared.leave_if_over() {
            name_python_thread(py, name, false);
            return true;
        }
    }
    name_python_thread(py, name, false);
    false
}

/// Runs the tasks queued behind the one this worker just ran, without letting the GIL
/// go between them (but for a moment every [`DRAIN_BUDGET`]), until the queue is
/// empty, as the drainer; `me`: this worker's number plus one.
fn drain(py: Python<'_>, shared: &Shared, me: usize) {
    let scheduler = &shared.scheduler;
    let budget = DRAIN_BUDGET.as_nanos() as u64;
    let mut held_since = None;
    while !shared.tasks.is_empty() && scheduler.claim_drain(me) {
        let Ok(task) = shared.tasks.pop() else {
            break;
        };
        let now = scheduler.now();
        scheduler.drained(now);
        let since = *held_since.get_or_insert(now);
        if now.saturating_sub(since) >= budget {
            // Lets a thread waiting for the GIL (the event loop, the engine thread,
            // a Python thread) have it, as CPython's own switch would.
            py.detach(std::thread::yield_now);
            held_since = Some(now);
        }
        run(py, shared, task);
    }
    scheduler.stop_draining(me);
}

/// Runs one task on this worker. A panic in PIME's own code here (the broker's are
/// caught in the job) answers the caller with it and leaves the worker serving.
fn run(py: Python<'_>, shared: &Shared, PoolTask { submission, broker }: PoolTask) {
    if shared.abandoned.load(Ordering::SeqCst) {
        return submission.fail(Error::not_started());
    }
    let Some(job) = Job::accept(py, submission, broker.clone_ref(py), &shared.settings) else {
        return;
    };
    let slot = Arc::clone(&job.ticket.reply);
    if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| job.run(py))) {
        let panic = panic_to_error(payload);
        let error = Error::new(
            ErrorKind::InternalError,
            format!("a PIME pool worker panicked: {}", panic.message),
        );
        log::error!(target: "pime", "{error}");
        slot.fail(error);
    }
}

thread_local! {
    /// On a pool worker: its pool, for [`super::lending`].
    static SERVING: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
}

/// The pool of the worker running on this thread, if it is one.
pub(super) fn this_workers_pool() -> Option<Arc<Shared>> {
    SERVING.with(|serving| serving.borrow().clone())
}

/// Names the Python side of this thread like the OS thread (`threading.current_thread()`
/// would otherwise say `Dummy-N`), or, when the worker ends, removes it from
/// `threading`'s table (Python 3.11 would otherwise keep listing it).
fn name_python_thread(py: Python<'_>, name: &str, starting: bool) {
    let named = sources::runtime(py).and_then(|runtime| {
        if starting {
            runtime.call_method1("name_worker_thread", (name,))
        } else {
            runtime.call_method0("forget_worker_thread")
        }
    });
    if let Err(e) = named {
        log::warn!(target: "pime", "cannot register {name} with threading: {e}");
    }
}

fn spawn_error(e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::ExecError,
        format!("cannot start a pool worker thread: {e}"),
    )
}
