//! The process-wide engine state: whether it is online, and the channel into it.
//!
//! One engine runs per process (Python has one interpreter), so this is global. The
//! hot path only loads the current way in (`arc_swap`, lock-free): the built-in pool's
//! queue for pooled tasks, the engine's queue for everything else. Every wait for a
//! state change is a `watch` notification, never a poll.

use std::sync::{Arc, LazyLock};

use arc_swap::ArcSwapOption;
use tokio::sync::{mpsc, watch};

use crate::error::{Error, Result};
use crate::jobs::Envelope;
use crate::pool::PoolSender;

/// Where the engine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EngineState {
    Offline,
    Starting,
    Online,
}

struct Shared {
    /// The way into the running engine; `None` while it is not online.
    sender: ArcSwapOption<mpsc::Sender<Envelope>>,
    /// The way into the built-in pool for pooled tasks; `None` while the engine is not
    /// online or when it runs tasks on a user's executor.
    pool: ArcSwapOption<PoolSender>,
    state: watch::Sender<EngineState>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| Shared {
    sender: ArcSwapOption::empty(),
    pool: ArcSwapOption::empty(),
    state: watch::Sender::new(EngineState::Offline),
});

/// Claims the right to launch: `Offline -> Starting`, or an error if an engine runs.
pub(crate) fn claim_launch() -> Result<LaunchClaim> {
    let claimed = SHARED.state.send_if_modified(|state| {
        if *state == EngineState::Offline {
            *state = EngineState::Starting;
            true
        } else {
            false
        }
    });
    if claimed {
        Ok(LaunchClaim { _private: () })
    } else {
        Err(Error::engine_state(
            "an engine is already running in this process; stop it first",
        ))
    }
}

/// Held by the thread that launches the engine. Dropping it (return, error or panic)
/// takes the engine offline and wakes everyone waiting for that.
pub(crate) struct LaunchClaim {
    _private: (),
}

impl LaunchClaim {
    /// Publishes the channels into the engine and its pool (if it has the built-in
    /// one): calls are accepted from now on.
    pub(crate) fn go_online(&self, sender: mpsc::Sender<Envelope>, pool: Option<PoolSender>) {
        SHARED.pool.store(pool.map(Arc::new));
        SHARED.sender.store(Some(Arc::new(sender)));
        SHARED.state.send_replace(EngineState::Online);
    }

    /// Refuses new calls at once (the engine is shutting down).
    pub(crate) fn refuse_calls(&self) {
        SHARED.pool.store(None);
        SHARED.sender.store(None);
    }
}

impl Drop for LaunchClaim {
    fn drop(&mut self) {
        SHARED.pool.store(None);
        SHARED.sender.store(None);
        SHARED.state.send_replace(EngineState::Offline);
    }
}

/// The channel into the running engine, or the error a caller gets when there is none.
pub(crate) fn sender() -> Result<Arc<mpsc::Sender<Envelope>>> {
    SHARED.sender.load_full().ok_or_else(|| {
        Error::engine_state("the PIME engine is not running (not started, or stopped)")
    })
}

/// The way into the built-in pool, while the engine is online with one.
pub(crate) fn pool() -> Option<Arc<PoolSender>> {
    SHARED.pool.load_full()
}

/// Whether the engine is online and accepting calls.
pub fn is_engine_started() -> bool {
    *SHARED.state.borrow() == EngineState::Online
}

/// Waits until the engine is online (returns at once if it already is).
pub async fn wait_online() {
    wait_for(EngineState::Online).await;
}

/// Waits until the engine is offline (returns at once if it is not running).
pub async fn wait_offline() {
    wait_for(EngineState::Offline).await;
}

async fn wait_for(wanted: EngineState) {
    let mut changes = SHARED.state.subscribe();
    // The sender lives in a static, so this never sees a closed channel.
    let _ = changes.wait_for(|state| *state == wanted).await;
}

/// Stops the engine gracefully: tasks sent before finish and their callers get their
/// results, tasks sent after get an error, then `launch` returns. Resolves once the
/// engine is offline.
///
/// Errors with [`crate::ErrorKind::PySyncEngineStateError`] if no engine is running.
pub async fn stop() -> Result<()> {
    let sender = sender()?;
    refuse_pooled_calls(&sender);
    // A send error means another `stop` already closed the channel: just wait with it.
    let _ = sender.send(Envelope::Stop).await;
    drop(sender);
    wait_offline().await;
    Ok(())
}

/// Sends pooled tasks of the engine that `sender` leads into to the engine's queue from
/// now on, behind the stop request that follows, so that they get an error like every
/// other task sent after `stop`. (Leaves a later launch's pool alone.)
fn refuse_pooled_calls(sender: &Arc<mpsc::Sender<Envelope>>) {
    let pool = SHARED.pool.load_full();
    // The engine is still the same one: `pool` is its pool (or `None`), not a later
    // launch's, which cannot go online before this one has gone offline.
    let same_engine = SHARED
        .sender
        .load()
        .as_ref()
        .is_some_and(|current| Arc::ptr_eq(current, sender));
    if same_engine {
        SHARED.pool.compare_and_swap(&pool, None);
    }
}
