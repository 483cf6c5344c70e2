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

/// One Python log record, as Rust sees it.
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    /// Python's level number (`DEBUG` 10 ... `CRITICAL` 50).
    pub(crate) level: u32,
    pub(crate) logger: &'a str,
    pub(crate) file: &'a str,
    pub(crate) line: u32,
    pub(crate) message: &'a str,
}

/// Sends `record` on: a tracing event in the current span with the `tracing` feature
/// (a `log` record while no subscriber is installed), a `log` record without it.
/// For the records of subinterpreters, which cannot reach the main interpreter's bridge.
#[cfg_attr(not(Py_3_12), allow(dead_code))]
pub(crate) fn record(record: &Record<'_>) {
    #[cfg(feature = "tracing")]
    return super::call_span::record_event(record);
    #[cfg(not(feature = "tracing"))]
    to_log(record)
}

/// A `log` record with the target `python::<logger>` (dots become `::`).
#[cfg_attr(not(any(Py_3_12, feature = "tracing")), allow(dead_code))]
pub(crate) fn to_log(record: &Record<'_>) {
    let level = match record.level {
        0..=9 => log::Level::Trace,
        10..=19 => log::Level::Debug,
        20..=29 => log::Level::Info,
        30..=39 => log::Level::Warn,
        _ => log::Level::Error,
    };
    let target = format!("python::{}", record.logger.replace('.', "::"));
    let metadata = log::Metadata::builder()
        .level(level)
        .target(&target)
        .build();
    if !log::logger().enabled(&metadata) {
        return;
    }
    log::logger().log(
        &log::Record::builder()
            .metadata(metadata)
            .file(Some(record.file))
            .line(Some(record.line))
            .args(format_args!("{}", record.message))
            .build(),
    );
}
