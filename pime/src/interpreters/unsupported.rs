//! Built against a CPython older than 3.12: no own-GIL subinterpreters (PEP 684), so
//! starting the pool is an error that says what is needed.

use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;

use super::InterpreterConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::Submission;

/// The reloads of one launch (nothing to reload without a pool).
pub(crate) struct Reloads;

impl Reloads {
    pub(crate) fn reload(&self, _py: Python<'_>, _origin: (String, String)) -> Result<()> {
        Ok(())
    }
}

/// Never made: [`InterpreterPool::start`] fails.
pub(crate) enum InterpreterSender {}

/// Never made: [`InterpreterPool::start`] fails.
pub(crate) enum InterpreterPool {}

impl InterpreterPool {
    /// The error: this build's CPython has no own-GIL subinterpreters.
    pub(crate) fn start(
        py: Python<'_>,
        config: InterpreterConfig,
    ) -> Result<(InterpreterPool, InterpreterSender, Arc<Reloads>)> {
        let _ = (
            py,
            config.count,
            config.settings,
            config.origin,
            config.paths,
            config.log_level,
        );
        Err(Error::new(
            ErrorKind::ExecError,
            format!(
                ".interpreters(n) needs CPython 3.12 or newer (own-GIL subinterpreters, \
                 PEP 684); PIME was built against CPython {}. Build with \
                 PYO3_PYTHON pointing at a 3.12+ python3, or use .thread_pool(..) or a \
                 ProcessPoolExecutor with .executor(..)",
                env!("PIME_BUILT_PYTHON_VERSION")
            ),
        ))
    }

    pub(crate) fn close(&self) {
        match *self {}
    }

    pub(crate) fn wait_ended(&self, _deadline: Option<Instant>) -> bool {
        match *self {}
    }

    pub(crate) fn abandon(&self, _error: &Error) {
        match *self {}
    }
}

impl InterpreterSender {
    pub(crate) fn submit(&self, _submission: Submission) -> Result<()> {
        match *self {}
    }
}
