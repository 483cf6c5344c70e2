//! The reloads of one launch, for the subinterpreter workers. A reload (done in the
//! main interpreter first) is tried in a fresh interpreter of its own, so that it
//! reaches every worker or none; then its number goes up. Each task carries the latest
//! number when it was sent, and a worker whose broker is older reloads it, in its own
//! interpreter, before running the task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;

use super::interpreter::{setting_up, Interpreter, Runtime, STACK_SIZE};
use crate::error::{Error, ErrorKind, Result};
use crate::waiting::lock;

/// The reloads of one launch: which broker a worker should serve a task with.
pub(crate) struct Reloads {
    /// One per worker: an idle worker reloads as soon as it is told, a busy one before
    /// its next task.
    nudges: Mutex<Vec<async_channel::Sender<()>>>,
    generation: AtomicU64,
    latest: Mutex<(u64, (String, String))>,
    /// What a fresh interpreter is set up with, as the workers' were.
    paths: Vec<String>,
    log_level: i64,
}

impl Reloads {
    pub(super) fn new(origin: (String, String), paths: Vec<String>, log_level: i64) -> Self {
        Reloads {
            nudges: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            latest: Mutex::new((0, origin)),
            paths,
            log_level,
        }
    }

    /// The latest reload's number, for a task being sent.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The latest reload and the broker it names.
    pub(super) fn latest(&self) -> (u64, (String, String)) {
        lock(&self.latest).clone()
    }

    /// A new worker's way to be told of reloads.
    pub(super) fn nudges(&self) -> async_channel::Receiver<()> {
        let (sender, receiver) = async_channel::bounded(1);
        lock(&self.nudges).push(sender);
        receiver
    }

    /// What a worker's interpreter is set up with.
    pub(super) fn setup(&self) -> (&[String], i64) {
        (&self.paths, self.log_level)
    }

    /// The broker was reloaded in the main interpreter from `origin`: imports it in a
    /// fresh interpreter (GIL released), and if that works, has every worker reload it
    /// before its next task. On an error nothing changes.
    pub(crate) fn reload(&self, py: Python<'_>, origin: (String, String)) -> Result<()> {
        let (paths, log_level) = (self.paths.clone(), self.log_level);
        let tried = origin.clone();
        py.detach(move || {
            std::thread::Builder::new()
                .name("pime-interpreter-reload".into())
                .stack_size(STACK_SIZE)
                .spawn(move || try_import(&paths, log_level, &tried))
                .map_err(|e| {
                    Error::new(
                        ErrorKind::ExecError,
                        format!("cannot start a thread to try the reload: {e}"),
                    )
                })?
                .join()
                .unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::InternalError,
                        "trying the reload in a subinterpreter panicked",
                    ))
                })
        })?;
        {
            let mut latest = lock(&self.latest);
            let generation = latest.0 + 1;
            *latest = (generation, origin);
            self.generation.store(generation, Ordering::Release);
        }
        for nudge in lock(&self.nudges).iter() {
            // Full: that worker has a nudge it has not taken yet, which does as well.
            let _ = nudge.try_send(());
        }
        Ok(())
    }
}

/// Whether `origin` loads in a new interpreter set up like the workers'.
pub(super) fn try_import(
    paths: &[String],
    log_level: i64,
    origin: &(String, String),
) -> Result<()> {
    let setup = setting_up();
    let mut interpreter = Interpreter::create()?;
    let outcome = interpreter.enter(move |gil| {
        let runtime = Runtime::load(gil, paths, log_level)?;
        let loaded = runtime.load_broker(origin, false).map(drop);
        runtime.finish();
        drop(setup);
        loaded
    });
    interpreter.end();
    outcome
}
