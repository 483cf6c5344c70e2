//! The engine's settings: one value behind both [`EngineBuilder`](crate::EngineBuilder)
//! and the setters of [`PySyncEngine`](crate::PySyncEngine), checked in one place.
//!
//! The documentation of each setting (what it does, its default, its range) is on the
//! builder's method; the setters link there.

use std::time::Duration;

use pyo3::prelude::*;

use crate::error::{Error, ErrorKind, Result};
use crate::pool::DEFAULT_GIL_REQUEST_INTERVAL;
use crate::python::exceptions::exec_error;
use crate::python::logging;
use crate::stats::COUNTERS;

/// The default of [`crate::EngineBuilder::queue_capacity`].
pub(crate) const DEFAULT_QUEUE_CAPACITY: usize = 1024;
/// The largest queue capacity accepted.
pub(crate) const MAX_QUEUE_CAPACITY: usize = 1 << 20;
/// The largest pool accepted.
pub(crate) const MAX_POOL_SIZE: u32 = 1024;
/// Longer switch intervals saturate to this.
pub(crate) const MAX_SWITCH_INTERVAL: Duration = Duration::from_secs(3600);

/// Every setting of one engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    pub(crate) min_workers: u32,
    pub(crate) max_workers: u32,
    pub(crate) queue_capacity: usize,
    pub(crate) debug: bool,
    pub(crate) stop_timeout: Option<Duration>,
    pub(crate) switch_interval: Option<Duration>,
    pub(crate) gil_request_interval: Option<Duration>,
    pub(crate) command_stats: bool,
    pub(crate) interrupt_on_deadline: bool,
    /// `Some(n)`: the pool is `n` subinterpreter workers instead of threads.
    pub(crate) interpreters: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_workers: 1,
            max_workers: default_max_workers(),
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            debug: false,
            stop_timeout: None,
            switch_interval: None,
            gil_request_interval: Some(DEFAULT_GIL_REQUEST_INTERVAL),
            command_stats: false,
            interrupt_on_deadline: false,
            interpreters: None,
        }
    }
}

/// The default pool's maximum: the number of cores plus 4, at most 32 (what Python's
/// `ThreadPoolExecutor` picks).
fn default_max_workers() -> u32 {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get() as u32 + 4)
        .min(32)
}

impl Config {
    /// Every setting inside its documented range, or an `ExecError` naming the one
    /// that is not. Durations have no invalid values: they saturate where used.
    pub(crate) fn check(&self) -> Result<()> {
        let (min, max) = (self.min_workers, self.max_workers);
        if max == 0 || min > max || max > MAX_POOL_SIZE {
            return Err(config_error(format!(
                "thread pool size needs 1 <= max <= {MAX_POOL_SIZE} and min <= max, got min {min}, max {max}"
            )));
        }
        if !(1..=MAX_QUEUE_CAPACITY).contains(&self.queue_capacity) {
            return Err(config_error(format!(
                "queue capacity must be between 1 and {MAX_QUEUE_CAPACITY}, got {}",
                self.queue_capacity
            )));
        }
        if let Some(n) = self.interpreters {
            if n == 0 || n > MAX_POOL_SIZE {
                return Err(config_error(format!(
                    "interpreters needs 1 <= n <= {MAX_POOL_SIZE}, got {n}"
                )));
            }
            if self.interrupt_on_deadline {
                return Err(config_error(
                    "interrupt on deadline is not available with .interpreters(n): a call's \
                     timeout answers its caller, and the broker runs to its end"
                        .to_string(),
                ));
            }
        }
        if self.switch_interval == Some(Duration::ZERO) {
            return Err(config_error(
                "switch interval must be longer than zero".to_string(),
            ));
        }
        Ok(())
    }

    /// How many tasks may be in flight at once: every queued one plus one per worker.
    pub(crate) fn in_flight_limit(&self) -> usize {
        self.queue_capacity + self.interpreters.unwrap_or(self.max_workers) as usize
    }

    /// Applies the settings that act on the whole interpreter or process: Python's
    /// log level, the switch interval, per-command stats. Idempotent.
    pub(crate) fn apply_process_wide(&self, py: Python<'_>) -> Result<()> {
        if self.debug {
            logging::enable_debug(py).map_err(|e| exec_error(py, e))?;
        }
        if let Some(interval) = self.switch_interval {
            let seconds = interval.min(MAX_SWITCH_INTERVAL).as_secs_f64();
            py.import("sys")
                .and_then(|sys| sys.call_method1("setswitchinterval", (seconds,)))
                .map_err(|e| exec_error(py, e))?;
        }
        if self.command_stats {
            COUNTERS.enable_per_command();
        }
        Ok(())
    }
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::ExecError, message)
}
