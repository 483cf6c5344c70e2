//! The process-wide engine state: which launch is online, and the way into it.
//!
//! One engine runs per process (Python has one interpreter), so this is global. Each
//! launch has a generation number; every handle and every wait names the launch it is
//! for, so a stop or a wait made for one launch never acts on, or waits for, a later
//! one. The hot path only loads the current launch (`arc_swap`, lock-free). Every wait
//! for a state change is a `watch` notification, never a poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use tokio::sync::{mpsc, watch};

use super::pools::PoolQueue;
use crate::error::{Error, Result};
use crate::host;
use crate::jobs::{Envelope, InFlight, Interrupt, ReplyTo, Submission};
use crate::python::call_span::CallSpan;
use crate::task::PyTask;

/// Where the engine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EngineState {
    Offline,
    Starting,
    Online,
}

/// The state of the latest launch.
#[derive(Debug, Clone, Copy)]
struct Status {
    generation: u64,
    state: EngineState,
}

/// One launch, as callers see it while it is online.
pub(crate) struct Launch {
    generation: u64,
    /// The engine thread's queue (unbounded: `in_flight` bounds the tasks in it).
    engine: mpsc::UnboundedSender<Envelope>,
    /// The built-in pool's queue; `None` when tasks run on a user's executor.
    pool: Option<PoolQueue>,
    in_flight: Arc<InFlight>,
    /// Whether running sync brokers are interrupted when their deadline passes.
    interrupt_on_deadline: bool,
    stop_timeout: Option<Duration>,
    /// When `stop` gives up on the running tasks; set by the first `stop`.
    stop_deadline: OnceLock<Option<Instant>>,
    /// Set when `stop` took the launch offline without the engine thread (held past
    /// the deadline): the engine loop then fails whatever it still takes.
    abandoned: Arc<AtomicBool>,
}

impl Launch {
    /// A launch that serves through `engine` (and `pool`, for pooled tasks).
    pub(crate) fn new(
        engine: mpsc::UnboundedSender<Envelope>,
        pool: Option<PoolQueue>,
        in_flight: Arc<InFlight>,
        interrupt_on_deadline: bool,
        stop_timeout: Option<Duration>,
        abandoned: Arc<AtomicBool>,
    ) -> Self {
        Launch {
            generation: 0,
            engine,
            pool,
            in_flight,
            interrupt_on_deadline,
            stop_timeout,
            stop_deadline: OnceLock::new(),
            abandoned,
        }
    }

    /// The stop deadline: fixed by the first `stop` (`None`: no stop timeout, or one
    /// too long to be a deadline), so the engine thread and the caller of `stop` use
    /// the same instant.
    pub(crate) fn stop_deadline(&self) -> Option<Instant> {
        *self.stop_deadline.get_or_init(|| {
            self.stop_timeout
                .and_then(|timeout| Instant::now().checked_add(timeout))
        })
    }

    /// An interrupt handle for a new task, when this launch interrupts on deadline.
    pub(crate) fn new_interrupt(&self) -> Option<Arc<Interrupt>> {
        self.interrupt_on_deadline.then(Arc::default)
    }

    /// Admits `task` under the launch's bound (waiting for room), then queues it: in
    /// the pool's queue if it is pooled, in the engine thread's otherwise.
    pub(crate) async fn submit(
        &self,
        task: PyTask,
        reply: Option<ReplyTo>,
        interrupt: Option<Arc<Interrupt>>,
    ) -> Result<()> {
        let mut task = task;
        // Sent from a host function: the task inherits its caller's context, and may
        // not need the engine thread while that thread waits for the host function.
        if task.context.is_none() {
            task.context = host::scope::inherited_context();
        }
        let exclusive = task.exclusive;
        if exclusive || self.pool.is_none() {
            // Refused before it takes a place (`send` would refuse it after).
            host::scope::check_engine_thread_free()?;
        }
        // Once `stop` has closed the bound, every task sent gets its error here. A
        // task a host function sends is part of its caller's work: it never waits.
        let admission = if host::scope::in_host_call() {
            self.in_flight.admit_nested()?
        } else {
            self.in_flight.admit().await?
        };
        let span = CallSpan::start(|| task.command_label());
        let submission = Submission {
            task,
            reply,
            admission,
            interrupt,
            span,
        };
        match &self.pool {
            Some(pool) if !exclusive => pool.submit(submission),
            _ => self.send(Envelope::Task(submission)),
        }
    }

    /// Whether the task just sent is the only one admitted (see
    /// `client::call::wait_briefly`).
    pub(crate) fn alone(&self) -> bool {
        self.in_flight.alone()
    }

    /// Puts `envelope` in the engine thread's queue (unless that thread is the one
    /// waiting for the host function sending it).
    pub(crate) fn send(&self, envelope: Envelope) -> Result<()> {
        host::scope::check_engine_thread_free()?;
        self.engine.send(envelope).map_err(|_| Error::refused())
    }
}

struct Shared {
    /// The launch that is online; `None` while none is.
    launch: ArcSwapOption<Launch>,
    status: watch::Sender<Status>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| Shared {
    launch: ArcSwapOption::empty(),
    status: watch::Sender::new(Status {
        generation: 0,
        state: EngineState::Offline,
    }),
});

/// Claims the right to launch: `Offline -> Starting` with a new generation, or an
/// error if an engine runs.
pub(crate) fn claim_launch() -> Result<LaunchClaim> {
    let mut generation = None;
    SHARED.status.send_if_modified(|status| {
        if status.state != EngineState::Offline {
            return false;
        }
        status.generation += 1;
        status.state = EngineState::Starting;
        generation = Some(status.generation);
        true
    });
    match generation {
        Some(generation) => Ok(LaunchClaim { generation }),
        None => Err(Error::engine_state(
            "an engine is already running in this process; stop it first",
        )),
    }
}

/// Held by the thread that launches the engine. Dropping it (return, error or panic)
/// takes the launch offline and wakes everyone waiting for that.
pub(crate) struct LaunchClaim {
    generation: u64,
}

impl LaunchClaim {
    /// This launch's generation.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Publishes the way into the launch: calls are accepted from now on. Returns
    /// the launch as callers see it.
    pub(crate) fn go_online(&self, mut launch: Launch) -> Arc<Launch> {
        launch.generation = self.generation;
        let launch = Arc::new(launch);
        SHARED.launch.store(Some(Arc::clone(&launch)));
        SHARED.status.send_replace(Status {
            generation: self.generation,
            state: EngineState::Online,
        });
        launch
    }

    /// Refuses new calls at once (the engine is shutting down).
    pub(crate) fn refuse_calls(&self) {
        refuse_calls(self.generation);
    }
}

impl Drop for LaunchClaim {
    fn drop(&mut self) {
        go_offline(self.generation);
    }
}

/// Refuses calls to launch `generation` (and leaves a later one alone).
fn refuse_calls(generation: u64) {
    SHARED.launch.rcu(|current| match current {
        Some(launch) if launch.generation == generation => None,
        other => other.clone(),
    });
}

/// Takes launch `generation` offline, unless it is already (or a later one started).
fn go_offline(generation: u64) {
    refuse_calls(generation);
    SHARED.status.send_if_modified(|status| {
        let ours = status.generation == generation && status.state != EngineState::Offline;
        if ours {
            status.state = EngineState::Offline;
        }
        ours
    });
}

/// The launch that is online, or the error a caller gets when there is none.
pub(crate) fn current() -> Result<Arc<Launch>> {
    SHARED.launch.load_full().ok_or_else(|| {
        Error::engine_state("the PIME engine is not running (not started, or stopped)")
    })
}

/// Whether the engine is online and accepting calls.
pub fn is_engine_started() -> bool {
    SHARED.status.borrow().state == EngineState::Online
}

/// Waits until the engine is online (returns at once if it already is).
pub async fn wait_online() {
    let mut changes = SHARED.status.subscribe();
    // The sender lives in a static, so this never sees a closed channel.
    let _ = changes
        .wait_for(|status| status.state == EngineState::Online)
        .await;
}

/// Waits until the launch running now (if any) is offline; returns at once if none
/// runs. A later launch does not keep it waiting.
pub async fn wait_offline() {
    let status = *SHARED.status.borrow();
    if status.state != EngineState::Offline {
        wait_ended(status.generation).await;
    }
}

/// Waits until launch `generation` is offline: it said so, or a later one started.
async fn wait_ended(generation: u64) {
    let mut changes = SHARED.status.subscribe();
    let _ = changes
        .wait_for(|status| status.generation != generation || status.state == EngineState::Offline)
        .await;
}

/// Stops the engine gracefully: tasks sent before finish and their callers get their
/// results, tasks sent after get an error, then `launch` returns. Resolves once the
/// engine is offline.
///
/// Called from a host function, it only asks the engine to stop and returns at once:
/// the task that made the host call is one of those the stop waits for.
///
/// Errors with [`crate::ErrorKind::PySyncEngineStateError`] if no engine is running.
pub async fn stop() -> Result<()> {
    stop_launch(current()?).await;
    Ok(())
}

/// Stops launch `generation` if it is still online; resolves once it is offline.
/// Returns its stop deadline, if it has one.
pub(crate) async fn stop_generation(generation: u64) -> Option<Instant> {
    match SHARED.launch.load_full() {
        Some(launch) if launch.generation == generation => stop_launch(launch).await,
        _ => {
            wait_ended(generation).await;
            None
        }
    }
}

/// How long after the stop deadline `stop` takes a launch offline itself, when the
/// engine thread has not (a broker holds it: an exclusive task).
pub(crate) const STOP_SLACK: Duration = Duration::from_millis(100);

/// The one place that makes `stop` return: it asks the engine thread to stop and waits
/// until the launch is offline — with a stop timeout, only until the deadline (plus
/// [`STOP_SLACK`]); past that it takes the launch offline itself, answering the
/// callers of the running tasks with an error.
async fn stop_launch(launch: Arc<Launch>) -> Option<Instant> {
    let deadline = launch.stop_deadline();
    // Tasks sent from now on, and callers waiting for room, get an error.
    launch.in_flight.close();
    // A send error means the launch is ending already: just wait with it. (Not
    // `send`: a stop queued behind the host call the engine thread waits for is fine.)
    let _ = launch.engine.send(Envelope::Stop);
    let generation = launch.generation;
    if host::scope::in_host_call() {
        // The task that made this host call is one `stop` waits for: it ends once
        // this returns, so waiting here would wait forever.
        return deadline;
    }
    let Some(deadline) = deadline else {
        drop(launch);
        wait_ended(generation).await;
        return None;
    };
    let ended =
        tokio::time::timeout_at((deadline + STOP_SLACK).into(), wait_ended(generation)).await;
    if ended.is_err() {
        log::warn!(target: "pime", "the engine thread did not stop by the stop deadline (a broker holds it); the engine goes offline without it");
        launch.abandoned.store(true, Ordering::Release);
        launch
            .in_flight
            .fail_outstanding_soon(&stopped_after_timeout(launch.stop_timeout));
        go_offline(generation);
    }
    Some(deadline)
}

/// The error of a task still running when the stop deadline passed.
pub(crate) fn stopped_after_timeout(timeout: Option<Duration>) -> Error {
    Error::engine_state(format!(
        "the PIME engine stopped after its stop timeout ({:?}) with this task still running",
        timeout.unwrap_or_default()
    ))
}
