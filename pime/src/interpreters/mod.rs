//! The subinterpreter pool (`.interpreters(n)`, CPython 3.12+): workers that each own
//! an isolated subinterpreter with its own GIL, so brokers that compute in Python run
//! in parallel in one process.
//!
//! * `workers`: the `pime-interpreter-N` threads, their queue, start and stop.
//! * `reloads`: which reload of the broker a task wants.
//! * `serve`: one task on a worker, through `jobs::Ticket` and the shared stream pump.
//! * `interpreter`: creating, entering and ending one subinterpreter; the embedded
//!   `_pime_interpreter` functions loaded into it.
//! * `convert`: `Value`s into and out of a subinterpreter.
//! * `log_bridge`: Python `logging` there, to Rust.
//! * `object`: the only way this module touches a subinterpreter's objects (raw
//!   `pyo3::ffi`, never PyO3's safe API, which assumes one interpreter).
//!
//! Built only against CPython 3.12 or newer; before, starting the pool is an error.
//!
//! May use: `jobs` (tickets, submissions, the stream pump), `python` (errors),
//! `value` (conversion failures), `task`, `error`, `stats`, `waiting`. Used by
//! `engine`, which starts and stops the pool.

#[cfg(Py_3_12)]
mod convert;
#[cfg(Py_3_12)]
mod interpreter;
#[cfg(Py_3_12)]
mod log_bridge;
#[cfg(Py_3_12)]
mod object;
#[cfg(Py_3_12)]
mod reloads;
#[cfg(Py_3_12)]
mod serve;
#[cfg(Py_3_12)]
mod workers;
#[cfg(not(Py_3_12))]
#[path = "unsupported.rs"]
mod workers;

#[cfg(Py_3_12)]
pub(crate) use reloads::Reloads;
#[cfg(not(Py_3_12))]
pub(crate) use workers::Reloads;
pub(crate) use workers::{InterpreterPool, InterpreterSender};

use std::sync::Arc;

use crate::jobs::JobSettings;

/// How the pool is set up for one launch.
pub(crate) struct InterpreterConfig {
    pub(crate) count: usize,
    pub(crate) settings: Arc<JobSettings>,
    /// The broker's module and attribute, imported in every interpreter.
    pub(crate) origin: (String, String),
    /// The main interpreter's `sys.path` (import paths, a venv's site-packages).
    pub(crate) paths: Vec<String>,
    /// The main interpreter's root logger level, for each interpreter's.
    pub(crate) log_level: i64,
}
