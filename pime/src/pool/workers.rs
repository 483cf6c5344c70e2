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
//! * The queue holds `queue_capacity` tasks; `pime::call` waits for room when it is
//!   full (backpressure).
//! * `stop` closes the queue: the workers run what is in it, then end. After a stop
//!   timeout the tasks still queued get an error and the workers still running are
//!   abandoned: they end on their own once their broker returns, and can take nothing
//!   from a later launch, whose queue is a new one.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::Poll;
use std::time::Instant;

use async_channel::{Receiver, Sender, TryRecvError};
use pyo3::prelude::*;

use super::{gil_handoff, spin};
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{Job, JobSettings, SharedBroker, Submission};
use crate::python::exceptions::panic_to_error;
use crate::python::sources;
use crate::waiting::{lock, wait_until};

/// The stack of a worker thread: what a thread started by Python gets on Linux by
/// default (the pthread default, 8 MiB), rather than Rust's 2 MiB, so a broker that
/// recurses deeply through C code behaves as it would in a Python thread. Only the
/// pages used are committed. The engine thread gets the same.
pub(crate) const WORKER_STACK_SIZE: usize = 8 << 20;

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
struct Shared {
    /// Each worker takes tasks from its own clone; the engine drains it after a stop
    /// timeout.
    tasks: Receiver<PoolTask>,
    /// Read by callers as they send (see [`PoolTask`]).
    broker: Arc<SharedBroker>,
    settings: Arc<JobSettings>,
    max_workers: usize,
    /// Idle workers no caller has counted on yet: a worker adds one when it starts
    /// waiting, a caller takes one for its task. None left means a new worker.
    idle: AtomicUsize,
    /// Worker threads alive (started and not ended).
    live: Mutex<usize>,
    ended: Condvar,
    /// Set when `stop` gave up on the running tasks: a worker then fails whatever it
    /// takes from the queue instead of running it.
    abandoned: AtomicBool,
    /// Whether a worker is spinning for the next task (at most one does).
    spinning: AtomicBool,
    /// Workers waiting in a host call: each lends its place under `max_workers` to
    /// another worker, so tasks the host call sends (or any other) still run.
    lent: AtomicUsize,
    next_number: AtomicUsize,
}

/// The callers' way into the pool (published while the engine is online).
pub(crate) struct PoolSender {
    tasks: Sender<PoolTask>,
    shared: Arc<Shared>,
}

/// The engine's handle on the pool of one launch. Dropping it (as a panicking engine
/// thread does) closes the queue, so the workers finish what is in it and end.
pub(crate) struct WorkerPool {
    shared: Arc<Shared>,
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
        let (sender, tasks) = async_channel::unbounded();
        let shared = Arc::new(Shared {
            tasks,
            broker,
            settings: Arc::clone(&config.settings),
            max_workers: config.max_workers,
            idle: AtomicUsize::new(0),
            live: Mutex::new(0),
            ended: Condvar::new(),
            abandoned: AtomicBool::new(false),
            spinning: AtomicBool::new(false),
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
                .spawn_worker(Some(ready_sender.clone()))
                .map_err(|e| spawn_error(&e))?;
        }
        drop(ready_sender);
        // Each worker says when it waits for tasks; one that died first drops its
        // sender, which ends this wait too.
        py.detach(move || while ready.recv().is_ok() {});
        Ok((
            pool,
            PoolSender {
                tasks: sender,
                shared,
            },
        ))
    }

    /// Refuses new tasks; the workers run the tasks already queued, then end.
    pub(crate) fn close(&self) {
        self.shared.tasks.close();
    }

    /// Waits until every worker has ended, or until `deadline`; returns whether they
    /// did. Call it with the GIL released (the workers need it to finish).
    pub(crate) fn wait_ended(&self, deadline: Option<Instant>) -> bool {
        let shared = &self.shared;
        wait_until(&shared.ended, lock(&shared.live), deadline, |live| {
            *live == 0
        })
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
    /// Queues a task for the workers; starts a worker if none is idle and fewer than
    /// the maximum run.
    pub(crate) fn submit(&self, submission: Submission) -> Result<()> {
        let broker = self.shared.broker.current();
        self.tasks
            .try_send(PoolTask { submission, broker })
            .map_err(|_| Error::refused())?;
        // Paired with the fence in `Lent::new` (a worker starting to wait in a host
        // call): either this sees its lent place, or it sees this task.
        std::sync::atomic::fence(Ordering::SeqCst);
        // An idle worker takes it, or a new one does. When every live worker waits in
        // a host call a new one starts in any case: the idle count is a hint (a worker
        // may take a task no one claimed it for), and nobody else would ever take it.
        let idle = self.shared.claim_idle();
        if (!idle || self.shared.all_waiting()) && self.shared.reserve_worker() {
            if let Err(e) = self.shared.spawn_worker(None) {
                log::error!(target: "pime", "{}", spawn_error(&e));
                self.shared.fail_queued_if_no_worker(&spawn_error(&e));
            }
        }
        Ok(())
    }
}

impl Shared {
    /// Takes one idle worker for a new task, if there is one.
    fn claim_idle(&self) -> bool {
        self.idle
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Counts one more live worker if fewer than the maximum are alive (not counting
    /// those waiting in host calls).
    fn reserve_worker(&self) -> bool {
        let mut live = lock(&self.live);
        if *live < self.max_workers + self.lent.load(Ordering::SeqCst) {
            *live += 1;
            true
        } else {
            false
        }
    }

    /// Whether every live worker waits in a host call.
    fn all_waiting(&self) -> bool {
        *lock(&self.live) <= self.lent.load(Ordering::SeqCst)
    }

    /// Whether more workers are alive than the maximum allows now that fewer wait in
    /// host calls; if so, counts this one out (it ends).
    fn leave_if_over(&self) -> bool {
        let mut live = lock(&self.live);
        if *live > self.max_workers + self.lent.load(Ordering::SeqCst) {
            *live -= 1;
            self.ended.notify_all();
            true
        } else {
            false
        }
    }

    /// One worker has ended (or never started).
    fn worker_ended(&self) {
        let mut live = lock(&self.live);
        *live -= 1;
        self.ended.notify_all();
    }

    /// Starts a worker for a place taken with [`Shared::reserve_worker`]. `ready`: a
    /// pre-started worker says when it waits, and counts itself idle; one started for a
    /// task does neither (the task is its own).
    fn spawn_worker(
        self: &Arc<Self>,
        ready: Option<std::sync::mpsc::Sender<()>>,
    ) -> std::io::Result<()> {
        let number = self.next_number.fetch_add(1, Ordering::Relaxed);
        let name = format!("pime-worker-{number}");
        let shared = Arc::clone(self);
        let tasks = self.tasks.clone();
        let spawned = std::thread::Builder::new()
            .name(name.clone())
            .stack_size(WORKER_STACK_SIZE)
            .spawn(move || {
                let alive = Alive(&shared);
                SERVING.with(|serving| *serving.borrow_mut() = Some(Arc::clone(&shared)));
                let left = Python::attach(|py| work(py, &shared, &tasks, &name, ready));
                if left {
                    // `leave_if_over` counted it out already.
                    std::mem::forget(alive);
                }
            });
        if spawned.is_err() {
            self.worker_ended();
        }
        spawned.map(drop)
    }

    /// Without any worker alive, nobody would ever take the queued tasks: fail them.
    fn fail_queued_if_no_worker(&self, error: &Error) {
        if *lock(&self.live) == 0 {
            self.fail_queued(error);
        }
    }

    /// Answers the callers of every task still queued with `error`.
    fn fail_queued(&self, error: &Error) {
        while let Ok(queued) = self.tasks.try_recv() {
            queued.submission.fail(error.clone());
        }
    }
}

/// Counts a worker thread as alive until it ends, however it ends.
struct Alive<'a>(&'a Shared);

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.worker_ended();
    }
}

/// A worker's life: wait for a task with the GIL released, take the GIL back promptly
/// (see [`gil_handoff`]) and run the task, until the queue is closed and empty, or
/// until more workers are alive than the maximum allows (workers that started while
/// others waited in host calls end once those are back). Returns whether it ended
/// for the latter, counted out already.
fn work(
    py: Python<'_>,
    shared: &Shared,
    tasks: &Receiver<PoolTask>,
    name: &str,
    ready: Option<std::sync::mpsc::Sender<()>>,
) -> bool {
    name_python_thread(py, name, true);
    if let Some(ready) = ready {
        shared.idle.fetch_add(1, Ordering::AcqRel);
        let _ = ready.send(());
    }
    let mut left = false;
    while let Some(next) = gil_handoff::detach_for_task(py, || next_task(tasks, &shared.spinning)) {
        run(py, shared, next);
        if shared.leave_if_over() {
            left = true;
            break;
        }
        shared.idle.fetch_add(1, Ordering::AcqRel);
    }
    name_python_thread(py, name, false);
    left
}

/// The next task, or `None` once the queue is closed and empty. One idle worker at a
/// time polls for a moment before parking (see [`spin`]).
fn next_task(tasks: &Receiver<PoolTask>, spinning: &AtomicBool) -> Option<PoolTask> {
    let poll = || match tasks.try_recv() {
        Ok(task) => Some(Some(task)),
        Err(TryRecvError::Closed) => Some(None),
        Err(TryRecvError::Empty) => None,
    };
    if !spinning.swap(true, Ordering::AcqRel) {
        let polled = spin::poll_briefly(poll);
        spinning.store(false, Ordering::Release);
        if let Some(outcome) = polled {
            return outcome;
        }
    }
    tasks.recv_blocking().ok()
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
    let slot = Arc::clone(&job.reply);
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
    /// On a pool worker: its pool, for [`block_on_lending`].
    static SERVING: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
}

/// Drives `future` to its end on this thread with `runtime`, the GIL released (a sync
/// host call). A pool worker lends its place meanwhile: while it waits, another
/// worker may start beyond the maximum, so a host function that calls back into
/// Python (with a pool of one, or every worker waiting in a host call) gets its
/// tasks run; the extra worker ends once the wait is over. The waiting thread itself
/// runs nothing else, so no other task shares its thread state (thread-locals, locks)
/// while the broker waits.
pub(crate) fn block_on_lending<F>(
    py: Python<'_>,
    runtime: &tokio::runtime::Handle,
    future: F,
) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let mut future = pin!(future);
    // Most host futures are ready at once (a no-op, a cache hit): one poll, without the
    // machinery of a blocking wait. Its waker does nothing: a future still pending
    // gets the real one at its next poll, in `block_on`.
    let first = py.detach(|| {
        let _runtime = runtime.enter();
        future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    });
    if let Poll::Ready(output) = first {
        return output;
    }
    let shared = SERVING.with(|serving| serving.borrow().clone());
    let _lent = shared.as_ref().map(Lent::new);
    py.detach(|| runtime.block_on(future))
}

/// A worker's place, lent while it waits in a host call.
struct Lent<'a>(&'a Arc<Shared>);

impl<'a> Lent<'a> {
    fn new(shared: &'a Arc<Shared>) -> Self {
        shared.lent.fetch_add(1, Ordering::SeqCst);
        // Paired with the fence in `submit`: either it sees the lent place, or this
        // sees its task.
        std::sync::atomic::fence(Ordering::SeqCst);
        // Tasks queued before the place was lent found no room: start a worker for
        // them now, unless one is idle (it takes them). A task sent later finds the
        // room itself (`PoolSender::submit`).
        if !shared.tasks.is_empty()
            && (shared.idle.load(Ordering::SeqCst) == 0 || shared.all_waiting())
            && shared.reserve_worker()
        {
            if let Err(e) = shared.spawn_worker(None) {
                log::error!(target: "pime", "{}", spawn_error(&e));
            }
        }
        Lent(shared)
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0.lent.fetch_sub(1, Ordering::SeqCst);
    }
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
