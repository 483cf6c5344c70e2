//! Python exceptions and Rust panics, as PIME errors.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

use crate::error::{Error, ErrorKind};

/// Turns a Python exception into a `PyException` error with the class name, the
/// message (even when `str()` itself raises) and the formatted traceback.
pub(crate) fn exception_to_error(py: Python<'_>, err: PyErr) -> Error {
    let exception = err.value(py);
    let class = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "<unknown exception>".into());
    let message = exception
        .str()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("<unprintable {class} object>"));
    Error {
        kind: ErrorKind::PyException,
        message,
        exception: Some(class),
        traceback: format_traceback(py, &err),
    }
}

/// The full Python traceback text. The traceback is passed explicitly because on
/// Python 3.11 PyO3 keeps it beside the exception rather than in `__traceback__`.
fn format_traceback(py: Python<'_>, err: &PyErr) -> Option<String> {
    static FORMAT_EXCEPTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let format = FORMAT_EXCEPTION
        .get_or_try_init(py, || {
            py.import("traceback")?
                .getattr("format_exception")
                .map(Bound::unbind)
        })
        .ok()?;
    let lines = format
        .bind(py)
        .call1((err.get_type(py), err.value(py), err.traceback(py)))
        .ok()?;
    let text = PyString::new(py, "").call_method1("join", (lines,)).ok()?;
    text.extract::<String>().ok()
}

/// A panic caught while a task ran, as a `PyException` of class `PanicException`
/// (what PyO3 calls a Rust panic that crosses into Python).
pub(crate) fn panic_to_error(payload: Box<dyn std::any::Any + Send>) -> Error {
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a Rust panic with no message".into());
    Error {
        kind: ErrorKind::PyException,
        message,
        exception: Some("PanicException".into()),
        traceback: None,
    }
}

/// A Python error met while PIME itself drove Python (set-up, executor calls).
pub(crate) fn exec_error(py: Python<'_>, err: PyErr) -> Error {
    let mut error = exception_to_error(py, err);
    error.kind = ErrorKind::ExecError;
    error
}

/// [`exec_error`] with `context` (what PIME was doing) before the message.
pub(crate) fn exec_error_in(py: Python<'_>, err: PyErr, context: &str) -> Error {
    let mut error = exec_error(py, err);
    error.message = format!("{context}: {}", error.message);
    error
}
