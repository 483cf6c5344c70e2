//! `PySyncEngine`: the engine loop on the thread that holds the GIL.

use std::cell::Cell;
use std::sync::Arc;

use pyo3::prelude::*;
use serde_value::Value;
use tokio::sync::mpsc;

use crate::error::{Error, ErrorKind, Result};
use crate::in_flight::{InFlight, Ticket};
use crate::job::{exception_to_error, Job};
use crate::state::{self, Envelope, ReplySender};
use crate::task::PyTask;
use crate::{logging, python_sources, signals, value, venv};

/// How many tasks may wait in the queue into the engine before callers wait for room.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// The engine, configured on the thread that will run it (it holds `Python<'py>`).
///
/// ```no_run
/// use pyo3::prelude::*;
///
/// fn main() -> Result<(), pime::Error> {
///     // `launch` blocks until `pime::stop()`, so async code runs on other threads.
///     std::thread::spawn(|| {
///         let runtime = tokio::runtime::Runtime::new().unwrap();
///         runtime.block_on(async {
///             pime::wait_online().await;
///             let task = pime::PyTask::new0(pime::Value::String("ping".into()));
///             println!("{:?}", pime::call(task).await);
///             pime::stop().await.unwrap();
///         });
///     });
///     Python::attach(|py| {
///         let engine = pime::PySyncEngine::new(py)?;
///         engine.add_import_path("examples/hello")?;
///         engine.set_thread_pool_size(4, 10)?;
///         let broker = py
///             .import("mymod")
///             .and_then(|m| m.getattr("broker"))
///             .map_err(|e| pime::Error::new(pime::ErrorKind::ExecError, e.to_string()))?;
///         engine.launch(py, &broker)
///     })
/// }
/// ```
pub struct PySyncEngine<'py> {
    py: Python<'py>,
    min_workers: Cell<u32>,
    max_workers: Cell<u32>,
    queue_capacity: Cell<usize>,
    debug: Cell<bool>,
}

impl<'py> PySyncEngine<'py> {
    /// Prepares an engine in the current interpreter: makes the embedded `pime` helper
    /// package importable and bridges Python `logging` to Rust's `log`.
    pub fn new(py: Python<'py>) -> Result<Self> {
        signals::import_signal_keeping_sigint(py).map_err(|e| setup_error(py, e))?;
        python_sources::register(py).map_err(|e| setup_error(py, e))?;
        logging::install(py).map_err(|e| setup_error(py, e))?;
        let default_max = std::thread::available_parallelism()
            .map_or(4, |n| n.get() as u32 + 4)
            .min(32);
        Ok(PySyncEngine {
            py,
            min_workers: Cell::new(1),
            max_workers: Cell::new(default_max),
            queue_capacity: Cell::new(DEFAULT_QUEUE_CAPACITY),
            debug: Cell::new(false),
        })
    }

    /// Like [`PySyncEngine::new`], then activates the virtual environment at `venv_path`
    /// (see the README: its `pyvenv.cfg` must name the embedded Python's major.minor).
    pub fn new_venv(py: Python<'py>, venv_path: &str) -> Result<Self> {
        let engine = PySyncEngine::new(py)?;
        venv::activate(py, venv_path.as_ref())?;
        Ok(engine)
    }

    /// Puts `path` first on `sys.path` (once), so brokers can be imported from it.
    pub fn add_import_path(&self, path: &str) -> Result<()> {
        let py = self.py;
        let add = || -> PyResult<()> {
            let sys_path = py.import("sys")?.getattr("path")?;
            if !sys_path.contains(path)? {
                sys_path.call_method1("insert", (0, path))?;
            }
            Ok(())
        };
        add().map_err(|e| setup_error(py, e))
    }

    /// Logs every task (command, duration, outcome) to Rust's `log` at `debug` level
    /// (target `pime`), and lets Python `logging` records down to `DEBUG` through.
    pub fn enable_debug(&self) -> Result<()> {
        self.debug.set(true);
        logging::enable_debug(self.py).map_err(|e| setup_error(self.py, e))
    }

    /// `min` worker threads exist before the first task; at most `max` run at once.
    pub fn set_thread_pool_size(&self, min: u32, max: u32) -> Result<()> {
        if max == 0 || min > max {
            return Err(Error::new(
                ErrorKind::ExecError,
                format!("thread pool size needs 1 <= max and min <= max, got min {min}, max {max}"),
            ));
        }
        self.min_workers.set(min);
        self.max_workers.set(max);
        Ok(())
    }

    /// How many tasks may wait in the queue into the engine (default
    /// [`DEFAULT_QUEUE_CAPACITY`]); when it is full, [`crate::call`] waits for room.
    pub fn set_queue_capacity(&self, capacity: usize) -> Result<()> {
        if capacity == 0 {
            return Err(Error::new(
                ErrorKind::ExecError,
                "queue capacity must be at least 1",
            ));
        }
        self.queue_capacity.set(capacity);
        Ok(())
    }

    /// Runs the engine on this thread until [`crate::stop`]: serves every
    /// [`crate::call`] with `broker(command, params)`. Fails at once if an engine is
    /// already running in this process.
    pub fn launch(&self, py: Python<'py>, broker: &Bound<'py, PyAny>) -> Result<()> {
        self.launch_with_hook(py, broker, || {})
    }

    /// [`PySyncEngine::launch`], calling `on_online` once calls are accepted.
    pub(crate) fn launch_with_hook(
        &self,
        py: Python<'py>,
        broker: &Bound<'py, PyAny>,
        on_online: impl FnOnce(),
    ) -> Result<()> {
        let claim = state::claim_launch()?;
        let executor = python_sources::runtime(py)
            .and_then(|runtime| {
                runtime
                    .getattr("make_thread_pool")?
                    .call1((self.min_workers.get(), self.max_workers.get()))
            })
            .map_err(|e| setup_error(py, e))?;
        let in_flight = Arc::new(InFlight::new(
            self.queue_capacity.get() + self.max_workers.get() as usize,
        ));
        let dispatcher = Dispatcher {
            py,
            in_flight: Arc::clone(&in_flight),
            broker: broker.clone().unbind(),
            submit: executor.getattr("submit").map_err(|e| setup_error(py, e))?,
            debug: self.debug.get(),
        };
        let (sender, mut queue) = mpsc::channel(self.queue_capacity.get());
        claim.go_online(sender);
        on_online();

        dispatcher.serve(&mut queue);

        // Refuse new calls, fail those still queued, let the running ones finish.
        claim.refuse_calls();
        queue.close();
        while let Ok(envelope) = queue.try_recv() {
            if let Envelope::Task(_, Some(reply)) = envelope {
                let _ = reply.send(Err(Error::engine_state(
                    "the PIME engine stopped before the task started",
                )));
            }
        }
        py.detach(|| in_flight.wait_drained(None));
        executor
            .call_method1("shutdown", (true,))
            .map_err(|e| setup_error(py, e))?;
        drop(claim);
        Ok(())
    }
}

/// Turns a Python error raised while setting the engine up into a PIME error.
fn setup_error(py: Python<'_>, err: PyErr) -> Error {
    let mut error = exception_to_error(py, err);
    error.kind = ErrorKind::ExecError;
    error
}

/// The engine loop's state for one launch.
struct Dispatcher<'py> {
    py: Python<'py>,
    in_flight: Arc<InFlight>,
    broker: Py<PyAny>,
    submit: Bound<'py, PyAny>,
    debug: bool,
}

impl Dispatcher<'_> {
    /// Serves until a stop request arrives or every sender is gone. Waits with the GIL
    /// released, and drains everything waiting before releasing it again.
    fn serve(&self, queue: &mut mpsc::Receiver<Envelope>) {
        loop {
            let Some(first) = self.py.detach(|| queue.blocking_recv()) else {
                return;
            };
            let mut next = Some(first);
            while let Some(envelope) = next {
                match envelope {
                    Envelope::Stop => return,
                    Envelope::Task(task, reply) => self.dispatch(task, reply),
                }
                next = queue.try_recv().ok();
            }
        }
    }

    fn dispatch(&self, task: PyTask, reply: Option<ReplySender>) {
        if reply.as_ref().is_some_and(|r| r.is_closed()) {
            return; // The caller is gone before the task started: cancelled.
        }
        let ticket = if task.exclusive {
            None
        } else {
            if !self.in_flight.try_enter() {
                // The executor is full: wait for room with the GIL released.
                let in_flight = &*self.in_flight;
                self.py.detach(|| in_flight.enter_blocking());
            }
            Some(Ticket(Arc::clone(&self.in_flight)))
        };
        let exclusive = ticket.is_none();
        let job = match self.prepare(task, reply, ticket) {
            Ok(job) => job,
            Err((reply, error)) => {
                if let Some(reply) = reply {
                    let _ = reply.send(Err(error));
                }
                return;
            }
        };
        if exclusive {
            job.__call__(self.py);
            return;
        }
        let job = match Bound::new(self.py, job) {
            Ok(job) => job,
            Err(e) => {
                log::error!(target: "pime", "cannot allocate a job: {e}");
                return;
            }
        };
        if let Err(err) = self.submit.call1((&job,)) {
            let mut error = exception_to_error(self.py, err);
            error.kind = ErrorKind::ExecError;
            job.get().fail(error);
        }
    }

    /// Converts the task to Python objects; on failure hands the reply slot back.
    fn prepare(
        &self,
        task: PyTask,
        reply: Option<ReplySender>,
        ticket: Option<Ticket>,
    ) -> std::result::Result<Job, (Option<ReplySender>, Error)> {
        let py = self.py;
        let command = match value::to_python(py, &task.command, "command") {
            Ok(command) => command,
            Err(e) => return Err((reply, e)),
        };
        let params = match &task.params {
            Some(params) => value::params_to_python(py, params),
            None => Ok(py.None().into_bound(py)),
        };
        let params = match params {
            Ok(params) => params,
            Err(e) => return Err((reply, e)),
        };
        let label = self.debug.then(|| command_label(&task.command));
        Ok(Job::new(
            self.broker.clone_ref(py),
            command.unbind(),
            params.unbind(),
            reply,
            label,
            ticket,
        ))
    }
}

fn command_label(command: &Value) -> String {
    match command {
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}
