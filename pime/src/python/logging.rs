//! Python `logging` -> Rust `log`, through `pyo3-pylogger`.
//!
//! Records appear in Rust with the target `python::<logger name>` (dots become `::`).

use pyo3::prelude::*;

#[cfg(not(feature = "tracing"))]
use super::sources;

/// The Rust `log` target prefix of records coming from Python.
#[cfg(not(feature = "tracing"))]
const TARGET: &str = "python";

/// Attaches the bridge to Python's root logger, once per interpreter. With the
/// `tracing` feature records go through the call's span instead (`call_span`).
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    #[cfg(feature = "tracing")]
    return super::call_span::install_log_bridge(py);
    #[cfg(not(feature = "tracing"))]
    install_log_records(py)
}

#[cfg(not(feature = "tracing"))]
fn install_log_records(py: Python<'_>) -> PyResult<()> {
    let logging = py.import("logging")?;
    if !logging.hasattr("HostHandler")? {
        pyo3_pylogger::setup_logging(py, TARGET)?;
    }
    sources::runtime(py)?
        .getattr("install_log_bridge")?
        .call1((logging.getattr("HostHandler")?,))?;
    Ok(())
}

/// Lets every record (down to `DEBUG`) through the root logger.
pub(crate) fn enable_debug(py: Python<'_>) -> PyResult<()> {
    let logging = py.import("logging")?;
    logging
        .call_method0("getLogger")?
        .call_method1("setLevel", (logging.getattr("DEBUG")?,))?;
    Ok(())
}
