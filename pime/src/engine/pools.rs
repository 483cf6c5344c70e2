//! The launch's pool for pooled tasks: the thread pool (`pool/`) or the subinterpreter
//! pool (`interpreters/`), behind one face for the launch (start, close, wait, abandon)
//! and for the callers (submit).

use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;

use super::config::Config;
use crate::error::{Error, Result};
use crate::interpreters::{InterpreterConfig, InterpreterPool, InterpreterSender, Reloads};
use crate::jobs::{JobSettings, SharedBroker, Submission};
use crate::pool::{PoolConfig, PoolSender, WorkerPool};

/// The engine's side of the pool.
pub(crate) enum Pool {
    Threads(WorkerPool),
    Interpreters(InterpreterPool),
}

/// The callers' side of the pool.
pub(crate) enum PoolQueue {
    Threads(PoolSender),
    Interpreters(InterpreterSender),
}

/// A started pool: both sides, and with subinterpreters the reloads they follow.
pub(crate) struct Started {
    pub(crate) pool: Pool,
    pub(crate) queue: PoolQueue,
    pub(crate) reloads: Option<Arc<Reloads>>,
}

/// Starts the pool `config` asks for. `origin`: the broker's module and attribute,
/// which subinterpreters import.
pub(crate) fn start(
    py: Python<'_>,
    config: &Config,
    settings: &Arc<JobSettings>,
    broker: &Arc<SharedBroker>,
    origin: Result<(String, String)>,
) -> Result<Started> {
    let Some(count) = config.interpreters else {
        let pool_config = PoolConfig {
            min_workers: config.min_workers as usize,
            max_workers: config.max_workers as usize,
            settings: Arc::clone(settings),
        };
        let (pool, queue) = WorkerPool::start(py, &pool_config, Arc::clone(broker))?;
        return Ok(Started {
            pool: Pool::Threads(pool),
            queue: PoolQueue::Threads(queue),
            reloads: None,
        });
    };
    let origin = origin.map_err(|mut error| {
        error.message = format!(
            ".interpreters(n) imports the broker in each interpreter: {}",
            error.message
        );
        error
    })?;
    let interpreter_config = InterpreterConfig {
        count: count as usize,
        settings: Arc::clone(settings),
        origin,
        paths: sys_path(py),
        log_level: root_log_level(py),
    };
    let (pool, queue, reloads) = InterpreterPool::start(py, interpreter_config)?;
    Ok(Started {
        pool: Pool::Interpreters(pool),
        queue: PoolQueue::Interpreters(queue),
        reloads: Some(reloads),
    })
}

/// The main interpreter's `sys.path`, its `str` entries (what import paths and a venv
/// put there), for the subinterpreters.
fn sys_path(py: Python<'_>) -> Vec<String> {
    let entries = py
        .import("sys")
        .and_then(|sys| sys.getattr("path"))
        .and_then(|path| path.extract::<Vec<Bound<'_, PyAny>>>());
    entries
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| entry.extract::<String>().ok())
        .collect()
}

/// The main interpreter's root logger level (`WARNING`, or `DEBUG` with `.debug()`).
fn root_log_level(py: Python<'_>) -> i64 {
    py.import("logging")
        .and_then(|logging| logging.call_method0("getLogger"))
        .and_then(|root| root.call_method0("getEffectiveLevel"))
        .and_then(|level| level.extract())
        .unwrap_or(30)
}

impl Pool {
    /// Refuses new tasks; the workers run the tasks already queued, then end.
    pub(crate) fn close(&self) {
        match self {
            Pool::Threads(pool) => pool.close(),
            Pool::Interpreters(pool) => pool.close(),
        }
    }

    /// Waits until every worker has ended, or until `deadline` (GIL released).
    pub(crate) fn wait_ended(&self, deadline: Option<Instant>) -> bool {
        match self {
            Pool::Threads(pool) => pool.wait_ended(deadline),
            Pool::Interpreters(pool) => pool.wait_ended(deadline),
        }
    }

    /// After a stop timeout: fails what is queued and whatever the workers take next.
    pub(crate) fn abandon(&self, error: &Error) {
        match self {
            Pool::Threads(pool) => pool.abandon(error),
            Pool::Interpreters(pool) => pool.abandon(error),
        }
    }
}

impl PoolQueue {
    /// Queues a pooled task for the workers.
    pub(crate) fn submit(&self, submission: Submission) -> Result<()> {
        match self {
            PoolQueue::Threads(queue) => queue.submit(submission),
            PoolQueue::Interpreters(queue) => queue.submit(submission),
        }
    }
}
