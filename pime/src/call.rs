//! `pime::call`: send one task to the engine and await its reply.

use serde_value::Value;
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::state::{self, Envelope};
use crate::task::PyTask;

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
/// Dropping the returned future before it completes cancels the task if it has not
/// started yet; a running task finishes and its result is dropped.
///
/// When the engine's queue is full, this waits for room (backpressure).
pub async fn call(task: PyTask) -> Result<Option<Value>> {
    let engine = state::sender()?;
    if task.no_wait {
        engine
            .send(Envelope::Task(task, None))
            .await
            .map_err(|_| stopped_before_accepting())?;
        return Ok(None);
    }
    let (reply, outcome) = oneshot::channel();
    engine
        .send(Envelope::Task(task, Some(reply)))
        .await
        .map_err(|_| stopped_before_accepting())?;
    drop(engine);
    outcome.await.unwrap_or_else(|_| {
        Err(Error::engine_state(
            "the PIME engine stopped before the task finished",
        ))
    })
}

fn stopped_before_accepting() -> Error {
    Error::engine_state("the PIME engine is stopping and accepts no new tasks")
}
