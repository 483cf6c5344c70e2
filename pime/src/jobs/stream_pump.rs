//! Pumping a generator's items into the caller's stream (`pime::call_stream`).
//!
//! Runs on the thread that ran the broker. Each item is converted and sent with the
//! GIL released while the stream's buffer is full (backpressure); when the caller drops
//! its stream the generator is closed, so its `finally` blocks run.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use super::reply::{StreamEvent, StreamSender};
use crate::error::{Error, ErrorKind, Result};
use crate::python::exceptions::exception_to_error;
use crate::python::sources;
use crate::value;

/// Sends every item of `result` (a generator, async generator or other iterable),
/// then the end marker. Returns the error that ended the stream early, if any.
pub(crate) fn pump(py: Python<'_>, result: &Bound<'_, PyAny>, sender: StreamSender) -> Result<()> {
    let outcome = pump_items(py, result, &sender);
    let last = match &outcome {
        Ok(()) => StreamEvent::End,
        Err(error) => StreamEvent::Error(error.clone()),
    };
    let _ = py.detach(|| sender.blocking_send(last));
    outcome
}

fn pump_items(py: Python<'_>, result: &Bound<'_, PyAny>, sender: &StreamSender) -> Result<()> {
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
        if py
            .detach(|| sender.blocking_send(StreamEvent::Item(value)))
            .is_err()
        {
            // The caller dropped the stream: stop the generator.
            close(py, result, is_async);
            return Ok(());
        }
        index += 1;
    }
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
