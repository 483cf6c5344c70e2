//! The broker every new task is served by.

use std::sync::Arc;

use arc_swap::ArcSwap;
use pyo3::prelude::*;

use crate::error::{Error, ErrorKind, Result};
use crate::value::type_name;

/// The broker every new task is served by, shared by the engine thread and the pool's
/// callers. A hot reload swaps it; tasks sent before keep the one they took.
pub(crate) struct SharedBroker(ArcSwap<Py<PyAny>>);

/// A broker is a callable `broker(command, params)`: anything else is an `ExecError`
/// naming `what` (where it came from) and its type, before it serves anything.
pub(crate) fn check_callable(broker: &Bound<'_, PyAny>, what: &str) -> Result<()> {
    if broker.is_callable() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::ExecError,
        format!(
            "{what} is not callable (a {}): a broker is a function broker(command, params) or a pime.Broker()",
            type_name(broker)
        ),
    ))
}

impl SharedBroker {
    pub(crate) fn new(broker: Py<PyAny>) -> Self {
        SharedBroker(ArcSwap::from_pointee(broker))
    }

    /// The current broker.
    pub(crate) fn get(&self, py: Python<'_>) -> Py<PyAny> {
        self.0.load().clone_ref(py)
    }

    /// The current broker, taken without the GIL (by a caller sending a pooled task,
    /// so that a reload after the send does not change the broker the task gets).
    pub(crate) fn current(&self) -> Arc<Py<PyAny>> {
        self.0.load_full()
    }

    /// Serves new tasks with `broker` from now on.
    pub(crate) fn set(&self, broker: Py<PyAny>) {
        self.0.store(Arc::new(broker));
    }
}
