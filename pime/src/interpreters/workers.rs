//! The subinterpreter pool (`.interpreters(n)`): `n` threads (`pime-interpreter-N`),
//! each owning an isolated subinterpreter with its own GIL, taking pooled tasks from one
//! queue, as the thread pool's workers do.
//!
//! * All `n` start, create their interpreter and import the broker there (one at a
//!   time) before the engine goes online; the first that fails fails `start` (the
//!   others end).
//! * An idle worker waits on the queue, and on its reload nudge, with its GIL released.
//!   Nothing crosses between interpreters but `Value`s: a task carries Rust values only,
//!   and a worker converts them into and out of its own interpreter.
//! * A reload (in the main interpreter, then in a fresh interpreter) is recorded in
//!   [`Reloads`]: an idle worker reloads at once, a busy one before its next task.
//! * `stop` closes the queue: the workers run what is in it, end their interpreters and
//!   end. After a stop timeout the tasks still queued get an error and the workers still
//!   running are abandoned: they end once their broker returns.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use async_channel::{Receiver, Sender};
use pyo3::prelude::*;

use super::interpreter::{setting_up, Interpreter, Runtime, STACK_SIZE};
use super::reloads::Reloads;
use super::serve::Worker;
use super::InterpreterConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{JobSettings, Submission, Ticket};
use crate::python::exceptions::panic_to_error;
use crate::spin;
use crate::waiting::{Alive, Census};

/// A pooled task and the reload that was the latest when it was sent.
struct InterpreterTask {
    submission: Submission,
    generation: u64,
}

/// What the callers, the workers and the engine share for one launch.
struct Shared {
    tasks: Receiver<InterpreterTask>,
    settings: Arc<JobSettings>,
    reloads: Arc<Reloads>,
    /// Worker threads alive (started and not ended).
    census: Census,
    /// Set when `stop` gave up on the running tasks: a worker then fails whatever it
    /// takes from the queue instead of running it.
    abandoned: AtomicBool,
    /// Set while an idle worker polls the queue before it blocks: one at a time, as in
    /// the thread pool (more pollers would only take the cores from each other).
    polling: AtomicBool,
}

/// The callers' way into the pool (published while the engine is online).
pub(crate) struct InterpreterSender {
    tasks: Sender<InterpreterTask>,
    shared: Arc<Shared>,
}

/// The engine's handle on the pool of one launch. Dropping it closes the queue.
pub(crate) struct InterpreterPool {
    shared: Arc<Shared>,
    tasks: Sender<InterpreterTask>,
}

impl InterpreterPool {
    /// Starts the workers and waits (GIL released) until each has its interpreter and
    /// the broker, or one failed (then every other ends, and its error is returned).
    pub(crate) fn start(
        py: Python<'_>,
        config: InterpreterConfig,
    ) -> Result<(InterpreterPool, InterpreterSender, Arc<Reloads>)> {
        let (sender, tasks) = async_channel::unbounded();
        let reloads = Arc::new(Reloads::new(config.origin, config.paths, config.log_level));
        let shared = Arc::new(Shared {
            tasks,
            settings: config.settings,
            reloads: Arc::clone(&reloads),
            census: Census::default(),
            abandoned: AtomicBool::new(false),
            polling: AtomicBool::new(false),
        });
        let pool = InterpreterPool {
            shared: Arc::clone(&shared),
            tasks: sender.clone(),
        };
        let (ready_sender, ready) = std::sync::mpsc::channel();
        let mut spawned = Ok(());
        for number in 0..config.count {
            *shared.census.live() += 1;
            let (shared, ready) = (Arc::clone(&shared), ready_sender.clone());
            let thread = std::thread::Builder::new()
                .name(format!("pime-interpreter-{number}"))
                .stack_size(STACK_SIZE)
                .spawn(move || work(&shared, ready));
            if let Err(e) = thread {
                pool.shared.census.ended();
                spawned = Err(Error::new(
                    ErrorKind::ExecError,
                    format!("cannot start a subinterpreter worker thread: {e}"),
                ));
                break;
            }
        }
        drop(ready_sender);
        // Each worker says once whether it is ready; one that died first drops its
        // sender, which ends this wait too.
        let outcomes: Vec<Result<()>> = py.detach(move || ready.iter().collect());
        let failed = outcomes.into_iter().find_map(Result::err);
        if let Err(error) = spawned.and(failed.map_or(Ok(()), Err)) {
            pool.close();
            py.detach(|| pool.wait_ended(None));
            return Err(error);
        }
        let sender = InterpreterSender {
            tasks: sender,
            shared,
        };
        Ok((pool, sender, reloads))
    }

    /// Refuses new tasks; the workers run the tasks already queued, then end.
    pub(crate) fn close(&self) {
        self.tasks.close();
    }

    /// Waits until every worker has ended, or until `deadline`; returns whether they
    /// did. Call it with the GIL released.
    pub(crate) fn wait_ended(&self, deadline: Option<Instant>) -> bool {
        self.shared.census.wait_none(deadline)
    }

    /// After a stop timeout: answers the callers of the tasks still queued with
    /// `error`, and makes the workers do the same with any task they take from now on.
    pub(crate) fn abandon(&self, error: &Error) {
        self.shared.abandoned.store(true, Ordering::SeqCst);
        self.close();
        while let Ok(queued) = self.shared.tasks.try_recv() {
            queued.submission.fail(error.clone());
        }
    }
}

impl Drop for InterpreterPool {
    fn drop(&mut self) {
        self.close();
    }
}

impl InterpreterSender {
    /// Queues a task for the workers.
    pub(crate) fn submit(&self, submission: Submission) -> Result<()> {
        let generation = self.shared.reloads.generation();
        self.tasks
            .try_send(InterpreterTask {
                submission,
                generation,
            })
            .map_err(|_| Error::refused())
    }
}

/// A worker's life: create its interpreter, load the broker there, say so on `ready`,
/// serve until the queue is closed and empty, end the interpreter.
fn work(shared: &Shared, ready: std::sync::mpsc::Sender<Result<()>>) {
    let _alive = Alive(&shared.census);
    // One interpreter is set up at a time, across pools too.
    let setup = setting_up();
    let mut interpreter = match Interpreter::create() {
        Ok(interpreter) => interpreter,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    interpreter.enter(move |gil| {
        let (paths, log_level) = shared.reloads.setup();
        let worker = Runtime::load(gil, paths, log_level)
            .and_then(|runtime| Worker::start(runtime, &shared.reloads));
        drop(setup);
        let mut worker = match worker {
            Ok(worker) => worker,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let nudges = shared.reloads.nudges();
        let _ = ready.send(Ok(()));
        drop(ready);
        while let Some(next) = gil.released(|| next(shared, &nudges)) {
            match next {
                Next::Task(task) => run(&mut worker, shared, task),
                Next::Reload => worker.catch_up(shared.reloads.generation(), &shared.reloads),
            }
        }
        worker.runtime.finish();
    });
    interpreter.end();
}

/// What an idle worker does next.
#[allow(clippy::large_enum_variant)] // made once per task, moved, never stored
enum Next {
    Task(InterpreterTask),
    /// Reload the broker (told by [`Reloads::reload`]).
    Reload,
}

/// Waits (GIL released) for the next task or a reload, a reload first; `None` once the
/// queue is closed and empty.
fn next(shared: &Shared, nudges: &async_channel::Receiver<()>) -> Option<Next> {
    // Back-to-back calls find a worker still polling (see `spin.rs`).
    if !shared.polling.swap(true, Ordering::AcqRel) {
        let polled = spin::poll_briefly(|| {
            if nudges.try_recv().is_ok() {
                return Some(Next::Reload);
            }
            shared.tasks.try_recv().ok().map(Next::Task)
        });
        shared.polling.store(false, Ordering::Release);
        if polled.is_some() {
            return polled;
        }
    }
    futures_executor::block_on(async {
        tokio::select! {
            biased;
            Ok(()) = nudges.recv() => Some(Next::Reload),
            task = shared.tasks.recv() => task.ok().map(Next::Task),
        }
    })
}

/// Runs one task on this worker. A panic in PIME's own code here answers the caller
/// with it and leaves the worker serving.
fn run(worker: &mut Worker<'_>, shared: &Shared, task: InterpreterTask) {
    let InterpreterTask {
        submission,
        generation,
    } = task;
    if shared.abandoned.load(Ordering::SeqCst) {
        return submission.fail(Error::not_started());
    }
    let Some((ticket, task)) = Ticket::take(submission, &shared.settings) else {
        return;
    };
    let slot = Arc::clone(&ticket.reply);
    let served = std::panic::catch_unwind(AssertUnwindSafe(|| {
        worker.serve(ticket, task, generation, &shared.reloads);
    }));
    if let Err(payload) = served {
        let panic = panic_to_error(payload);
        let error = Error::new(
            ErrorKind::InternalError,
            format!("a PIME subinterpreter worker panicked: {}", panic.message),
        );
        log::error!(target: "pime", "{error}");
        slot.fail(error);
    }
}
