//! Pumping a generator's items into the caller's stream (`pime::call_stream`).
//!
//! Runs on the thread that ran the broker. Each item is converted and sent; while the
//! stream's buffer is full the pump waits with the GIL released (backpressure), until
//! there is room or the launch stops. When the caller drops its stream, or the launch
//! stops, the generator is closed, so its `finally` blocks run: a stream never keeps
//! `stop` waiting for its reader, and never outlives its launch.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::watch;

use super::reply::{StreamEvent, StreamSender};
use crate::error::{Error, ErrorKind, Result};
use crate::python::exceptions::exception_to_error;
use crate::python::sources;
use crate::value;

/// How sending one event went.
enum Sent {
    Delivered,
    /// The caller dropped its stream.
    ReaderGone,
    /// The launch is stopping.
    Stopping,
}

/// Sends every item of `result` (a generator, async generator or other iterable),
/// then the end marker. Returns the error that ended the stream early, if any.
pub(crate) fn pump(
    py: Python<'_>,
    result: &Bound<'_, PyAny>,
    sender: StreamSender,
    stopping: &watch::Receiver<bool>,
) -> Result<()> {
    let outcome = pump_items(py, result, &sender, stopping);
    let last = match &outcome {
        Ok(()) => StreamEvent::End,
        Err(error) => StreamEvent::Error(error.clone()),
    };
    match outcome {
        // At stop the reader may not be reading: the error goes if there is room, and
        // dropping the sender tells the stream it was cut otherwise.
        Err(error) if *stopping.borrow() => {
            let _ = sender.try_send(last);
            Err(error)
        }
        outcome => {
            send(py, &sender, last, stopping);
            outcome
        }
    }
}

fn pump_items(
    py: Python<'_>,
    result: &Bound<'_, PyAny>,
    sender: &StreamSender,
    stopping: &watch::Receiver<bool>,
) -> Result<()> {
    if result.is_instance_of::<PyString>() || result.is_instance_of::<PyBytes>() {
        return Err(not_a_stream(result));
    }
    let runtime = sources::runtime(py).map_err(|e| exception_to_error(py, e))?;
    let is_async = result.hasattr("__anext__").unwrap_or(false);
    let iterator = if is_async {
        None
    } else {
        Some(result.try_iter().map_err(|_| not_a_stream(result))?)
    };
    let mut index = 0usize;
    loop {
        if *stopping.borrow() {
            close(py, result, is_async);
            return Err(stopped());
        }
        let item = match &iterator {
            Some(iterator) => match iterator.clone().next() {
                Some(item) => item,
                None => return Ok(()),
            },
            None => {
                let (done, item) = runtime
                    .getattr("next_async")
                    .and_then(|next| next.call1((result,)))
                    .and_then(|pair| pair.extract::<(bool, Bound<'_, PyAny>)>())
                    .map_err(|e| exception_to_error(py, e))?;
                if done {
                    return Ok(());
                }
                Ok(item)
            }
        };
        let item = item.map_err(|e| exception_to_error(py, e))?;
        let value = value::from_python(&item, &format!("item[{index}]")).inspect_err(|_| {
            close(py, result, is_async);
        })?;
        match send(py, sender, StreamEvent::Item(value), stopping) {
            Sent::Delivered => index += 1,
            Sent::ReaderGone => {
                close(py, result, is_async);
                return Ok(());
            }
            Sent::Stopping => {
                close(py, result, is_async);
                return Err(stopped());
            }
        }
    }
}

/// Sends `event`, waiting (GIL released) while the buffer is full, until there is
/// room, the reader is gone, or the launch stops.
fn send(
    py: Python<'_>,
    sender: &StreamSender,
    event: StreamEvent,
    stopping: &watch::Receiver<bool>,
) -> Sent {
    let event = match sender.try_send(event) {
        Ok(()) => return Sent::Delivered,
        Err(TrySendError::Closed(_)) => return Sent::ReaderGone,
        Err(TrySendError::Full(event)) => event,
    };
    let mut stopping = stopping.clone();
    py.detach(|| {
        futures_executor::block_on(async {
            tokio::select! {
                biased;
                // A dropped sender (the launch gone) ends the wait too.
                _ = stopping.wait_for(|stopping| *stopping) => Sent::Stopping,
                permit = sender.reserve() => match permit {
                    Ok(permit) => {
                        permit.send(event);
                        Sent::Delivered
                    }
                    Err(_) => Sent::ReaderGone,
                },
            }
        })
    })
}

fn stopped() -> Error {
    Error::engine_state("the PIME engine stopped in the middle of the stream")
}

/// Closes a generator early so its cleanup runs; errors while closing are only logged.
fn close(py: Python<'_>, generator: &Bound<'_, PyAny>, is_async: bool) {
    let closed = if is_async {
        sources::runtime(py)
            .and_then(|runtime| runtime.getattr("close_async")?.call1((generator,)))
            .map(drop)
    } else if generator.hasattr("close").unwrap_or(false) {
        generator.call_method0("close").map(drop)
    } else {
        Ok(())
    };
    if let Err(e) = closed {
        log::warn!(target: "pime", "closing a stream's generator raised: {e}");
    }
}

fn not_a_stream(result: &Bound<'_, PyAny>) -> Error {
    Error::new(
        ErrorKind::UnpackError,
        format!(
            "call_stream needs the broker to return a generator or iterable, not {}",
            value::type_name(result)
        ),
    )
}
