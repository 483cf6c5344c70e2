//! Pumping a generator's items into the caller's stream (`pime::call_stream`).
//!
//! Runs on the thread that ran the broker. Each item is converted and sent; while the
//! stream's buffer is full the pump waits with the interpreter's lock released
//! (backpressure), until there is room or the launch stops. When the caller drops its
//! stream, or the launch stops, the generator is closed, so its `finally` blocks run: a
//! stream never keeps `stop` waiting for its reader, and never outlives its launch.
//!
//! The loop is one for every interpreter: where the items come from is an
//! [`ItemSource`] (a generator of this interpreter here, one of a subinterpreter in
//! `interpreters/`).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyIterator, PyModule, PyString};
use serde_value::Value;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::watch;

use super::reply::{StreamEvent, StreamSender};
use crate::error::{Error, ErrorKind, Result};
use crate::python::exceptions::exception_to_error;
use crate::python::sources;
use crate::value;

/// Where a stream's items come from.
pub(crate) trait ItemSource {
    /// The next item, converted (errors name it `item[index]`); `None` at the end. A
    /// conversion failure closes the generator first.
    fn next_item(&mut self, index: usize) -> Result<Option<Value>>;
    /// Closes the generator early so its cleanup runs; errors while closing are only
    /// logged.
    fn close(&mut self);
    /// Runs `wait` with this thread's interpreter lock released.
    fn released<R: Send>(&mut self, wait: impl FnOnce() -> R + Send) -> R;
}

/// How sending one event went.
enum Sent {
    Delivered,
    /// The caller dropped its stream.
    ReaderGone,
    /// The launch is stopping.
    Stopping,
}

/// Sends every item of `source` (or the error that made it), then the end marker.
/// Returns the error that ended the stream early, if any.
pub(crate) fn pump(
    source: Result<impl ItemSource>,
    sender: StreamSender,
    stopping: &watch::Receiver<bool>,
) -> Result<()> {
    let mut source = match source {
        Ok(source) => source,
        Err(error) => {
            // Nothing was sent yet: the buffer has room.
            let _ = sender.try_send(StreamEvent::Error(error.clone()));
            return Err(error);
        }
    };
    let outcome = pump_items(&mut source, &sender, stopping);
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
            send(&mut source, &sender, last, stopping);
            outcome
        }
    }
}

fn pump_items(
    source: &mut impl ItemSource,
    sender: &StreamSender,
    stopping: &watch::Receiver<bool>,
) -> Result<()> {
    let mut index = 0usize;
    loop {
        if *stopping.borrow() {
            source.close();
            return Err(stopped());
        }
        let Some(value) = source.next_item(index)? else {
            return Ok(());
        };
        match send(source, sender, StreamEvent::Item(value), stopping) {
            Sent::Delivered => index += 1,
            Sent::ReaderGone => {
                source.close();
                return Ok(());
            }
            Sent::Stopping => {
                source.close();
                return Err(stopped());
            }
        }
    }
}

/// Sends `event`, waiting (lock released) while the buffer is full, until there is
/// room, the reader is gone, or the launch stops.
fn send(
    source: &mut impl ItemSource,
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
    source.released(|| {
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

/// The error of a stream cut by a stop.
pub(crate) fn stopped() -> Error {
    Error::engine_state("the PIME engine stopped in the middle of the stream")
}

/// A generator, async generator or other iterable of this interpreter.
pub(crate) struct PyItems<'a, 'py> {
    result: &'a Bound<'py, PyAny>,
    runtime: Bound<'py, PyModule>,
    /// `None` for an async generator, stepped through `_pime_runtime.next_async`.
    iterator: Option<Bound<'py, PyIterator>>,
}

impl<'a, 'py> PyItems<'a, 'py> {
    /// The items of what a broker returned, or why it is not a stream.
    pub(crate) fn new(result: &'a Bound<'py, PyAny>) -> Result<Self> {
        let py = result.py();
        if result.is_instance_of::<PyString>() || result.is_instance_of::<PyBytes>() {
            return Err(not_a_stream(result));
        }
        let runtime = sources::runtime(py).map_err(|e| exception_to_error(py, e))?;
        let iterator = if result.hasattr("__anext__").unwrap_or(false) {
            None
        } else {
            Some(result.try_iter().map_err(|_| not_a_stream(result))?)
        };
        Ok(PyItems {
            result,
            runtime,
            iterator,
        })
    }
}

impl ItemSource for PyItems<'_, '_> {
    fn next_item(&mut self, index: usize) -> Result<Option<Value>> {
        let py = self.result.py();
        let item = match &self.iterator {
            Some(iterator) => match iterator.clone().next() {
                Some(item) => item,
                None => return Ok(None),
            },
            None => {
                let (done, item) = self
                    .runtime
                    .getattr("next_async")
                    .and_then(|next| next.call1((self.result,)))
                    .and_then(|pair| pair.extract::<(bool, Bound<'_, PyAny>)>())
                    .map_err(|e| exception_to_error(py, e))?;
                if done {
                    return Ok(None);
                }
                Ok(item)
            }
        };
        let item = item.map_err(|e| exception_to_error(py, e))?;
        match value::from_python(&item, &format!("item[{index}]")) {
            Ok(value) => Ok(Some(value)),
            Err(error) => {
                self.close();
                Err(error)
            }
        }
    }

    fn close(&mut self) {
        let generator = self.result;
        let closed = if self.iterator.is_none() {
            self.runtime
                .getattr("close_async")
                .and_then(|close| close.call1((generator,)))
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

    fn released<R: Send>(&mut self, wait: impl FnOnce() -> R + Send) -> R {
        self.result.py().detach(wait)
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
