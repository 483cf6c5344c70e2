//! The process-wide engine state: which launch is online, and the way into it.
//!
//! One engine runs per process (Python has one interpreter), so this is global. Each
//! launch has a generation number; every handle and every wait names the launch it is
//! for, so a stop or a wait made for one launch never acts on, or waits for, a later
//! one. The hot path only loads the current launch (`arc_swap`, lock-free). Every wait
//! for a state change is a `watch` notification, never a poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use arc_swap::ArcSwapOption;
use tokio::sync::{mpsc, watch};

use crate::error::{Error, Result};
use crate::jobs::{Envelope, InFlight, Interrupt, ReplyTo, Submission};
use crate::pool::PoolSender;
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
    pool: Option<PoolSender>,
    in_flight: Arc<InFlight>,
    /// Set by `stop`: tasks sent from now on are refused.
    stopping: AtomicBool,
    /// Whether running sync brokers are interrupted when their deadline passes.
    interrupt_on_deadline: bool,
}

impl Launch {
    /// A launch that serves through `engine` (and `pool`, for pooled tasks).
    pub(crate) fn new(
        engine: mpsc::UnboundedSender<Envelope>,
        pool: Option<PoolSender>,
        in_flight: Arc<InFlight>,
        interrupt_on_deadline: bool,
    ) -> Self {
        Launch {
            generation: 0,
            engine,
            pool,
            in_flight,
            stopping: AtomicBool::new(false),
            interrupt_on_deadline,
        }
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
        if self.stopping.load(Ordering::Acquire) {
            return Err(refused());
        }
        let admission = self.in_flight.admit().await?;
        let exclusive = task.exclusive;
        let submission = Submission {
            task,
            reply,
            admission,
            interrupt,
        };
        match &self.pool {
            Some(pool) if !exclusive => pool.submit(submission),
            _ => self.send(Envelope::Task(submission)),
        }
    }

    /// Puts `envelope` in the engine thread's queue.
    pub(crate) fn send(&self, envelope: Envelope) -> Result<()> {
        self.engine.send(envelope).map_err(|_| refused())
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

    /// Publishes the way into the launch: calls are accepted from now on.
    pub(crate) fn go_online(&self, mut launch: Launch) {
        launch.generation = self.generation;
        SHARED.launch.store(Some(Arc::new(launch)));
        SHARED.status.send_replace(Status {
            generation: self.generation,
            state: EngineState::Online,
        });
    }

    /// Refuses new calls at once (the engine is shutting down).
    pub(crate) fn refuse_calls(&self) {
        SHARED.launch.store(None);
    }
}

impl Drop for LaunchClaim {
    fn drop(&mut self) {
        SHARED.launch.store(None);
        SHARED.status.send_replace(Status {
            generation: self.generation,
            state: EngineState::Offline,
        });
    }
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
/// Errors with [`crate::ErrorKind::PySyncEngineStateError`] if no engine is running.
pub async fn stop() -> Result<()> {
    stop_launch(current()?).await;
    Ok(())
}

/// Stops launch `generation` if it is still online; resolves once it is offline.
pub(crate) async fn stop_generation(generation: u64) {
    match SHARED.launch.load_full() {
        Some(launch) if launch.generation == generation => stop_launch(launch).await,
        _ => wait_ended(generation).await,
    }
}

async fn stop_launch(launch: Arc<Launch>) {
    launch.stopping.store(true, Ordering::Release);
    // Callers waiting for room get an error, like every task sent after the stop.
    launch.in_flight.close();
    // A send error means the launch is ending already: just wait with it.
    let _ = launch.send(Envelope::Stop);
    let generation = launch.generation;
    drop(launch);
    wait_ended(generation).await;
}

fn refused() -> Error {
    Error::engine_state("the PIME engine is stopping and accepts no new tasks")
}
