//! `pime::call` and `pime::call_stream`: send one task to the engine and await its
//! outcome; `pime::reload`: swap the broker.

use std::sync::Arc;
use std::time::Duration;

use serde_value::Value;
use tokio::sync::{mpsc, oneshot};

use super::stream::PyStream;
use crate::engine::state::{self, Launch};
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{Answer, Envelope, Interrupt, ReloadRequest, ReplyTo};
use crate::spin;
use crate::task::PyTask;

/// How many streamed items may wait for the caller before the generator pauses.
const STREAM_BUFFER: usize = 64;

/// Runs `task` on the engine and returns the broker's result.
///
/// * `Ok(Some(value))`: the broker returned `value` (converted per the value table).
/// * `Ok(None)`: the broker returned `None`, or the task is `no_wait` (then this
///   returns as soon as the engine has queued it).
/// * `Err(e)`: the broker raised (`ErrorKind::PyException`), the params or the result
///   could not be converted (`PackError` / `UnpackError`), or the engine is not
///   running (`PySyncEngineStateError`). Never a hang: a call made before the engine
///   is online or after it stopped fails at once.
///
/// A broker that returns a coroutine (`async def`) is awaited on the engine's event
/// loop without holding a worker thread.
///
/// Dropping the returned future before it completes cancels the task if it has not
/// started yet; a running task finishes and its result is dropped.
///
/// When the engine's bound on tasks is reached, this waits for room (backpressure).
///
/// With [`PyTask::set_timeout`], the call gives up when the timeout passes (waiting
/// for room included) with an [`ErrorKind::Timeout`] error; with
/// [`crate::EngineBuilder::interrupt_on_deadline`], a sync broker still running then
/// is interrupted. A timeout needs a tokio runtime with its time driver.
pub async fn call(task: PyTask) -> Result<Option<Value>> {
    let launch = state::current()?;
    let interrupt = launch.new_interrupt();
    let Some(timeout) = task.timeout() else {
        return run(&launch, task, interrupt).await;
    };
    let command = task.command_label();
    match tokio::time::timeout(timeout, run(&launch, task, interrupt.clone())).await {
        Ok(outcome) => outcome,
        Err(_) => {
            if let Some(interrupt) = interrupt {
                interrupt.raise_soon();
            }
            Err(Error::new(
                ErrorKind::Timeout,
                format!("{command}: no result within {}", format_duration(timeout)),
            ))
        }
    }
}

/// Sends `task` and waits for its outcome (`no_wait`: until it is queued).
async fn run(
    launch: &Launch,
    task: PyTask,
    interrupt: Option<Arc<Interrupt>>,
) -> Result<Option<Value>> {
    if task.no_wait {
        launch.submit(task, None, interrupt).await?;
        return Ok(None);
    }
    let (reply, mut outcome) = oneshot::channel();
    launch
        .submit(task, Some(ReplyTo::Once(reply)), interrupt)
        .await?;
    let answer = match wait_briefly(launch, &mut outcome) {
        Some(answer) => answer,
        None => outcome.await,
    };
    match answer {
        Ok(Answer { outcome, spent }) => {
            // Freed here, on the thread that (most likely) allocated it.
            drop(spent);
            outcome
        }
        Err(_) => Err(Error::engine_state(
            "the PIME engine stopped before the task finished",
        )),
    }
}

/// A lone call (the only task admitted: a caller making one call at a time) polls
/// for its reply for a moment before its task parks: a quick broker answers within
/// microseconds, and the caller's thread is then still running, where a parked tokio
/// worker would take tens of µs to wake on a small VM. The same bounded spin as the
/// pool's workers (`spin.rs`); with other tasks in flight it is skipped, so a
/// busy runtime's threads never wait here.
fn wait_briefly<T>(
    launch: &Launch,
    outcome: &mut oneshot::Receiver<T>,
) -> Option<std::result::Result<T, oneshot::error::RecvError>> {
    if !launch.alone() {
        return None;
    }
    // A closed channel is left to the `await` that follows, which reports it.
    spin::poll_briefly(|| outcome.try_recv().ok()).map(Ok)
}

/// `500ms`, `2s`.
fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis % 1000 == 0 {
        format!("{}s", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

/// Runs `task` and streams the items of the generator (or async generator, or other
/// iterable) the broker returns. Each item arrives as it is produced; the generator
/// pauses while the caller is 64 items behind. Dropping the stream closes the
/// generator. `no_wait` is ignored here.
///
/// An exclusive task cannot stream (its generator would hold the engine thread while
/// the caller reads), nor a task with a timeout: each is an `ExecError` at once.
pub async fn call_stream(mut task: PyTask) -> Result<PyStream> {
    if task.exclusive {
        return Err(Error::new(
            ErrorKind::ExecError,
            "call_stream: an exclusive task cannot stream (its generator would hold the engine \
             thread while the stream is read); send it without mark_exclusive()",
        ));
    }
    if task.timeout().is_some() {
        return Err(Error::new(
            ErrorKind::ExecError,
            "call_stream: a task with a timeout cannot stream (each item comes when the \
             generator yields it); bound the reads with tokio::time::timeout instead",
        ));
    }
    task.no_wait = false;
    let (items, receiver) = mpsc::channel(STREAM_BUFFER);
    state::current()?
        .submit(task, Some(ReplyTo::Stream(items)), None)
        .await?;
    Ok(PyStream::new(receiver))
}

/// Hot reload: re-imports the broker's module and serves every task sent from now on
/// with the new broker; tasks already running finish on the old one. The module and
/// attribute are those given to [`crate::EngineBuilder::broker`], or for
/// [`crate::PySyncEngine::launch`] the broker function's `__module__` and
/// `__name__`. Only that module is re-imported, not the modules it imports.
pub async fn reload() -> Result<()> {
    reload_request(None).await
}

/// Hot reload of another broker: imports (or re-imports) `module` and serves new tasks
/// with its `attribute`.
pub async fn reload_module(module: &str, attribute: &str) -> Result<()> {
    reload_request(Some((module.to_string(), attribute.to_string()))).await
}

async fn reload_request(target: Option<(String, String)>) -> Result<()> {
    let (done, outcome) = oneshot::channel();
    send(Envelope::Reload(ReloadRequest { target, done }))?;
    outcome.await.unwrap_or_else(|_| {
        Err(Error::engine_state(
            "the PIME engine stopped before reloading",
        ))
    })
}

/// Puts `envelope` in the engine thread's queue.
fn send(envelope: Envelope) -> Result<()> {
    state::current()?.send(envelope)
}
