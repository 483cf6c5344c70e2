//! `PySyncEngine`: the seed's API — the engine configured and run on a thread that
//! holds `Python<'py>`.

use std::cell::RefCell;

use pyo3::prelude::*;

use super::config::Config;
use super::launch;
use crate::error::Result;
use crate::host::{HostModule, HostRegistration, HostSpec};
use crate::python::exceptions::exec_error;
use crate::python::{interpreter, logging, signals, sources, venv};

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
    config: RefCell<Config>,
    /// A user-supplied `concurrent.futures.Executor`; `None` for the built-in pool.
    executor: RefCell<Option<Py<PyAny>>>,
    /// Where the broker was imported from (set by the builder), for `pime::reload`.
    broker_origin: RefCell<Option<(String, String)>>,
    /// The host modules registered, live as long as this engine.
    hosts: RefCell<Vec<HostRegistration>>,
}

impl std::fmt::Debug for PySyncEngine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PySyncEngine")
            .field("config", &*self.config.borrow())
            .field("executor", &self.executor.borrow().is_some())
            .finish_non_exhaustive()
    }
}

impl<'py> PySyncEngine<'py> {
    /// Prepares an engine in the current interpreter: makes the embedded `pime` helper
    /// package importable and bridges Python `logging` to Rust's `log`.
    pub fn new(py: Python<'py>) -> Result<Self> {
        interpreter::warn_if_mismatched(py);
        signals::import_signal_keeping_sigint(py).map_err(|e| exec_error(py, e))?;
        sources::register(py).map_err(|e| exec_error(py, e))?;
        logging::install(py).map_err(|e| exec_error(py, e))?;
        sources::runtime(py)
            .and_then(|runtime| runtime.call_method0("configure_multiprocessing"))
            .map_err(|e| exec_error(py, e))?;
        Ok(PySyncEngine {
            py,
            config: RefCell::new(Config::default()),
            executor: RefCell::new(None),
            broker_origin: RefCell::new(None),
            hosts: RefCell::new(Vec::new()),
        })
    }

    /// Like [`PySyncEngine::new`], then activates the virtual environment at `venv_path`
    /// (see [`crate::EngineBuilder::venv`]).
    pub fn new_venv(py: Python<'py>, venv_path: &str) -> Result<Self> {
        let engine = PySyncEngine::new(py)?;
        venv::activate(py, venv_path.as_ref())?;
        Ok(engine)
    }

    /// An engine with every setting of `config` (the builder's), checked and applied.
    pub(crate) fn with_config(py: Python<'py>, venv: Option<&str>, config: Config) -> Result<Self> {
        let engine = match venv {
            Some(venv) => PySyncEngine::new_venv(py, venv)?,
            None => PySyncEngine::new(py)?,
        };
        engine.update(|current| *current = config)?;
        Ok(engine)
    }

    /// Changes the configuration if the result is valid, then applies what acts on the
    /// whole process at once (the one path every setter goes through).
    fn update(&self, change: impl FnOnce(&mut Config)) -> Result<()> {
        let mut next = self.config.borrow().clone();
        change(&mut next);
        next.check()?;
        next.apply_process_wide(self.py)?;
        *self.config.borrow_mut() = next;
        Ok(())
    }

    /// Puts `path` first on `sys.path` (once), so brokers can be imported from it.
    /// A path that does not exist is an `ExecError` naming it and the directory it was
    /// resolved against. See [`crate::EngineBuilder::import_path`].
    pub fn add_import_path(&self, path: &str) -> Result<()> {
        check_import_path(path)?;
        let py = self.py;
        let add = || -> PyResult<()> {
            let sys_path = py.import("sys")?.getattr("path")?;
            if !sys_path.contains(path)? {
                sys_path.call_method1("insert", (0, path))?;
            }
            Ok(())
        };
        add().map_err(|e| exec_error(py, e))
    }

    /// See [`crate::EngineBuilder::debug`].
    pub fn enable_debug(&self) -> Result<()> {
        self.update(|config| config.debug = true)
    }

    /// See [`crate::EngineBuilder::thread_pool`].
    pub fn set_thread_pool_size(&self, min: u32, max: u32) -> Result<()> {
        self.update(|config| {
            config.min_workers = min;
            config.max_workers = max;
        })
    }

    /// See [`crate::EngineBuilder::queue_capacity`].
    pub fn set_queue_capacity(&self, capacity: usize) -> Result<()> {
        self.update(|config| config.queue_capacity = capacity)
    }

    /// See [`crate::EngineBuilder::stop_timeout`].
    pub fn set_stop_timeout(&self, timeout: std::time::Duration) {
        self.config.borrow_mut().stop_timeout = Some(timeout);
    }

    /// See [`crate::EngineBuilder::executor`]. With a process-based executor the
    /// broker, params and results must be picklable.
    pub fn set_executor(&self, executor: &Bound<'py, PyAny>) {
        *self.executor.borrow_mut() = Some(executor.clone().unbind());
    }

    /// See [`crate::EngineBuilder::command_stats`].
    pub fn enable_command_stats(&self) {
        // Cannot fail: it only sets a process-wide flag.
        let _ = self.update(|config| config.command_stats = true);
    }

    /// Registers `host` as a Python module (see [`crate::EngineBuilder::host`]) right
    /// away, so import the broker after this. Its `async fn`s run on `runtime`. It stays
    /// registered as long as this engine exists.
    pub fn add_host(&self, host: impl HostModule, runtime: &tokio::runtime::Handle) -> Result<()> {
        self.add_host_spec(host.into_spec(), runtime)
    }

    pub(crate) fn add_host_spec(
        &self,
        spec: HostSpec,
        runtime: &tokio::runtime::Handle,
    ) -> Result<()> {
        let registration =
            HostRegistration::register(self.py, spec, runtime, &self.hosts.borrow())?;
        self.hosts.borrow_mut().push(registration);
        Ok(())
    }

    /// Remembers that the broker is `module.attribute`, for [`crate::reload`].
    pub(crate) fn set_broker_origin(&self, module: &str, attribute: &str) {
        *self.broker_origin.borrow_mut() = Some((module.to_string(), attribute.to_string()));
    }

    /// See [`crate::EngineBuilder::switch_interval`].
    pub fn set_switch_interval(&self, interval: std::time::Duration) -> Result<()> {
        self.update(|config| config.switch_interval = Some(interval))
    }

    /// See [`crate::EngineBuilder::interpreters`].
    pub fn set_interpreters(&self, n: u32) -> Result<()> {
        self.update(|config| config.interpreters = Some(n))
    }

    /// See [`crate::EngineBuilder::interrupt_on_deadline`].
    pub fn set_interrupt_on_deadline(&self, on: bool) {
        self.config.borrow_mut().interrupt_on_deadline = on;
    }

    /// See [`crate::EngineBuilder::gil_request_interval`].
    pub fn set_gil_request_interval(&self, interval: Option<std::time::Duration>) {
        self.config.borrow_mut().gil_request_interval = interval;
    }

    /// Runs the engine on this thread until [`crate::stop`]: serves every
    /// [`crate::call`] with `broker(command, params)`. Fails at once if an engine is
    /// already running in this process.
    pub fn launch(&self, py: Python<'py>, broker: &Bound<'py, PyAny>) -> Result<()> {
        self.launch_with_hook(py, broker, |_| {})
    }

    /// [`PySyncEngine::launch`], calling `on_online` with the launch's generation once
    /// calls are accepted.
    pub(crate) fn launch_with_hook(
        &self,
        py: Python<'py>,
        broker: &Bound<'py, PyAny>,
        on_online: impl FnOnce(u64),
    ) -> Result<()> {
        let config = self.config.borrow();
        config.check()?;
        if config.interpreters.is_some() {
            check_interpreters_alone(
                self.executor.borrow().is_some(),
                !self.hosts.borrow().is_empty(),
            )?;
        }
        launch::run(
            py,
            &config,
            self.executor.borrow().as_ref(),
            self.broker_origin.borrow().clone(),
            broker,
            on_online,
        )
    }
}

/// The subinterpreter pool replaces the built-in pool, so it cannot be combined with an
/// executor; and host modules are PyO3 classes, which exist in the main interpreter only.
fn check_interpreters_alone(executor: bool, hosts: bool) -> Result<()> {
    let conflict = match (executor, hosts) {
        (true, _) => "an executor (.executor(..)): choose one of the two",
        (false, true) => {
            "host modules (.host(..)): they are PyO3 classes, which live in the main \
             interpreter only; use .thread_pool(..) for a broker that calls its host"
        }
        (false, false) => return Ok(()),
    };
    Err(crate::error::Error::new(
        crate::error::ErrorKind::ExecError,
        format!(".interpreters(n) cannot be combined with {conflict}"),
    ))
}

/// A missing import path is an error here, not a "no module named" far from its cause.
fn check_import_path(path: &str) -> Result<()> {
    let given = std::path::Path::new(path);
    if given.is_dir() {
        return Ok(());
    }
    let cwd = std::env::current_dir()
        .map(|dir| dir.display().to_string())
        .unwrap_or_else(|e| format!("<unknown: {e}>"));
    let resolved = if given.is_absolute() {
        format!("`{path}`")
    } else {
        format!("`{path}`, resolved against the current directory {cwd}")
    };
    let what = if given.exists() {
        "is not a directory"
    } else {
        "does not exist"
    };
    Err(crate::error::Error::new(
        crate::error::ErrorKind::ExecError,
        format!("the import path {resolved} {what}; give an absolute path, or run from the directory it is relative to"),
    ))
}
