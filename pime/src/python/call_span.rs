//! The tracing span of one call (cargo feature `tracing`): `pime.call`, a child of the
//! caller's current span, created where every task is submitted. It travels with
//! the task to the thread that runs it, and into Python in a context variable
//! (`_pime_runtime.CALL_SPAN`), set for the broker call and the coroutine, so that
//! Python `logging` records and host calls made on the call's behalf land inside it
//! wherever they run (a worker, the event loop, a thread the broker's context was
//! copied to).
//!
//! Without the feature every method here does nothing, and Python records go to
//! Rust's `log` (`logging::install`). With it, records become tracing events while a
//! tracing subscriber is installed, and still go to `log` otherwise.

use pyo3::prelude::*;

#[cfg(feature = "tracing")]
use super::log_record;

/// One call's span (nothing without the `tracing` feature).
#[derive(Clone, Debug, Default)]
pub(crate) struct CallSpan {
    #[cfg(feature = "tracing")]
    span: Option<tracing::Span>,
}

impl CallSpan {
    /// A new `pime.call` span for `command`, child of the current span; none when no
    /// subscriber wants it.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn start(command: impl FnOnce() -> String) -> Self {
        #[cfg(feature = "tracing")]
        {
            let span = tracing::info_span!(
                target: "pime",
                "pime.call",
                command = tracing::field::Empty
            );
            if span.is_disabled() {
                return CallSpan { span: None };
            }
            span.record("command", command().as_str());
            CallSpan { span: Some(span) }
        }
        #[cfg(not(feature = "tracing"))]
        CallSpan {}
    }

    /// Whether there is a span (the feature is on and a subscriber wants it).
    pub(crate) fn is_active(&self) -> bool {
        #[cfg(feature = "tracing")]
        return self.span.is_some();
        #[cfg(not(feature = "tracing"))]
        false
    }

    /// The span as a Python object for `CALL_SPAN`, if there is one.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            return Ok(Some(
                Bound::new(py, PySpan { span: span.clone() })?.into_any(),
            ));
        }
        Ok(None)
    }

    /// The span of the call whose Python code runs on this thread (read from
    /// `CALL_SPAN`).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn of_python_caller(py: Python<'_>) -> PyResult<Self> {
        #[cfg(feature = "tracing")]
        {
            static CALL_SPAN: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
            let span = super::context_vars::get(py, &CALL_SPAN, "_pime_runtime", "CALL_SPAN")?;
            let span = span.and_then(|span| {
                span.cast::<PySpan>()
                    .ok()
                    .map(|span| span.get().span.clone())
            });
            Ok(CallSpan { span })
        }
        #[cfg(not(feature = "tracing"))]
        Ok(CallSpan {})
    }

    /// Runs `f` inside the span.
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            return span.in_scope(f);
        }
        f()
    }

    /// `future`, inside the span whenever it is polled.
    pub(crate) fn instrument<F: std::future::Future>(
        self,
        future: F,
    ) -> impl std::future::Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument as _;
            future.instrument(self.span.unwrap_or_else(tracing::Span::none))
        }
        #[cfg(not(feature = "tracing"))]
        future
    }
}

/// A span held by Python (in `CALL_SPAN`).
#[cfg(feature = "tracing")]
#[pyclass(frozen, module = "_pime_runtime", name = "CallSpan")]
struct PySpan {
    span: tracing::Span,
}

/// Routes Python `logging` records through [`emit`], once per interpreter.
#[cfg(feature = "tracing")]
pub(crate) fn install_log_bridge(py: Python<'_>) -> PyResult<()> {
    let emit = pyo3::wrap_pyfunction!(emit, py)?;
    super::sources::runtime(py)?
        .getattr("install_tracing_bridge")?
        .call1((emit,))
        .map(drop)
}

/// One Python log record: a tracing event inside the span of the call that emitted
/// it (or the current span) while a tracing subscriber is installed; otherwise a
/// `log` record with the target `python::<logger>`, as without the feature.
#[cfg(feature = "tracing")]
#[pyfunction]
#[pyo3(signature = (level, logger, file, line, message, span))]
fn emit(
    level: u32,
    logger: &str,
    file: &str,
    line: u32,
    message: &str,
    span: Option<&Bound<'_, PySpan>>,
) {
    let record = log_record::Record {
        level,
        logger,
        file,
        line,
        message,
    };
    match span {
        Some(span) => span
            .get()
            .span
            .in_scope(|| log_record::record_event(&record)),
        None => log_record::record_event(&record),
    }
}
