//! `Engine::builder()`: the one place every setting is documented, and the engine
//! started on a thread of its own, so the common case needs no GIL handling at all.

use std::path::Path;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::sync::oneshot;

use super::config::Config;
use super::state;
use super::sync_engine::PySyncEngine;
use crate::error::{Error, ErrorKind, Result};
use crate::host::{HostModule, HostSpec};
use crate::jobs::check_callable;
use crate::pool::WORKER_STACK_SIZE;
use crate::python::exceptions::exec_error_in;
use crate::python::sources;

/// A running engine started by [`EngineBuilder::start`].
///
/// ```no_run
/// # async fn demo() -> pime::Result<()> {
/// let engine = pime::Engine::builder()
///     .import_path("examples/hello")
///     .thread_pool(4, 10)
///     .broker("mymod", "broker")
///     .start()
///     .await?;
/// let hello = pime::PyTask::new0(pime::Value::String("hello".into()));
/// println!("{:?}", pime::call(hello).await?);
/// engine.stop().await?;
/// # Ok(()) }
/// ```
///
/// Dropping the handle does not stop the engine; [`crate::stop`] still does.
#[derive(Debug)]
#[must_use = "keep the handle to stop the engine and see how it ended"]
pub struct Engine {
    /// The launch this handle is for.
    generation: u64,
    finished: oneshot::Receiver<Result<()>>,
}

/// Where the broker comes from.
enum BrokerSource {
    Attribute { module: String, attribute: String },
    Object(Py<PyAny>),
}

/// Configures and starts an [`Engine`]; see [`Engine::builder`].
///
/// Every setting is documented here, with its default and its range; the setters of
/// [`PySyncEngine`] (the seed's API) share the same configuration and link here. A
/// setting outside its range makes [`EngineBuilder::start`] return an `ExecError`
/// saying which one; durations have no invalid values (they saturate).
#[must_use = "call .start().await to run the engine"]
pub struct EngineBuilder {
    config: Config,
    import_paths: Vec<String>,
    venv: Option<String>,
    executor: Option<ExecutorSource>,
    broker: Option<BrokerSource>,
    hosts: Vec<HostSpec>,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("config", &self.config)
            .field("import_paths", &self.import_paths)
            .field("venv", &self.venv)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Where a user-chosen executor comes from.
enum ExecutorSource {
    /// `module.factory()` builds it on the engine thread.
    Factory {
        module: String,
        factory: String,
    },
    Object(Py<PyAny>),
}

impl Engine {
    /// A builder with the defaults: no extra import path, the default pool and queue.
    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            config: Config::default(),
            import_paths: Vec::new(),
            venv: None,
            executor: None,
            broker: None,
            hosts: Vec::new(),
        }
    }

    /// Stops this engine gracefully (see [`crate::stop`]) and waits for its thread to
    /// end — with a stop timeout, only until the deadline: a thread a broker still
    /// holds then is left to end on its own. If this engine has stopped already, this
    /// only waits: it never stops a later launch.
    pub async fn stop(self) -> Result<()> {
        if crate::host::scope::in_host_call() {
            // See `crate::stop`: from a host function, only asks.
            state::stop_generation(self.generation).await;
            return Ok(());
        }
        match state::stop_generation(self.generation).await {
            None => self.wait().await,
            Some(deadline) => {
                let deadline = (deadline + state::STOP_SLACK).into();
                tokio::time::timeout_at(deadline, self.wait())
                    .await
                    .unwrap_or(Ok(()))
            }
        }
    }

    /// Waits until the engine's thread ends (after some [`crate::stop`]), with how it ended.
    pub async fn wait(self) -> Result<()> {
        self.finished.await.unwrap_or_else(|_| Err(thread_died()))
    }
}

impl EngineBuilder {
    /// Puts `path` on `sys.path` before the broker is imported (may be repeated; the
    /// last one added is searched first). A relative path is resolved against the
    /// current directory.
    pub fn import_path(mut self, path: impl AsRef<Path>) -> Self {
        self.import_paths
            .push(path.as_ref().to_string_lossy().into_owned());
        self
    }

    /// The built-in pool's size: `min` worker threads start (and attach to Python)
    /// before the engine goes online; more start when a task comes and no worker is
    /// idle, up to `max`, and stay until the engine stops. At most `max` tasks run at
    /// once, not counting those waiting in a sync host call: a worker waiting there
    /// lends its place, and the worker that starts for it ends once the pool is back
    /// within `max` (see [`macro@crate::host_module`]).
    ///
    /// Default: `min` 1, `max` the number of cores plus 4 (at most 32). Range:
    /// `1 <= max <= 1024`, `min <= max`. Not used with an executor.
    pub fn thread_pool(mut self, min: u32, max: u32) -> Self {
        self.config.min_workers = min;
        self.config.max_workers = max;
        self
    }

    /// Runs pooled tasks on `n` workers that each own an isolated subinterpreter with
    /// its own GIL (CPython 3.12+, PEP 684), instead of the thread pool: brokers that
    /// compute in Python then run in parallel, in this process, with no pickling — only
    /// `Value`s cross between interpreters. All `n` start (each imports the broker) before
    /// [`EngineBuilder::start`] returns; exclusive tasks still run on the engine thread
    /// in the main interpreter.
    ///
    /// What works there: sync and async commands (a worker runs a coroutine to its end
    /// on an event loop of its own before it takes the next task), generators and async
    /// generators for [`crate::call_stream`], `pime.context()`, `pime.Broker`, the value
    /// table and registered converters, `no_wait`, timeouts, stats, hot reload (each
    /// interpreter reloads before its next task), stop with and without a stop timeout.
    ///
    /// `start()` fails, saying why, when: the CPython PIME is built against is older
    /// than 3.12; the broker is not given as `module, attribute` (or an object with
    /// `__module__` and `__name__`); the broker, or a module it imports, cannot load
    /// in an isolated interpreter (a C extension with single-phase init, such as numpy
    /// today); or it is combined with [`EngineBuilder::executor`], host modules
    /// ([`EngineBuilder::host`]) or [`EngineBuilder::interrupt_on_deadline`].
    ///
    /// Default: off (the thread pool). Range: `1 <= n <= 1024`.
    pub fn interpreters(mut self, n: u32) -> Self {
        self.config.interpreters = Some(n);
        self
    }

    /// How many tasks may wait to start, beyond one per worker: the engine admits at
    /// most `capacity + max` tasks at once (the pool's `max`, see
    /// [`EngineBuilder::thread_pool`]), of every kind and on every path — queued,
    /// running, awaiting on the event loop, streaming, or handed to an executor. A
    /// caller past that waits for room in [`crate::call`] (backpressure); the queues
    /// themselves grow with use, not with this number.
    ///
    /// Default: 1024. Range: 1 to 1,048,576.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.config.queue_capacity = capacity;
        self
    }

    /// Activates the virtual environment at `path`: its `site-packages` go on
    /// `sys.path` (and, unless its `pyvenv.cfg` says
    /// `include-system-site-packages = true`, the base interpreter's leave), and
    /// process pools start the venv's interpreter. The venv must have been made for the
    /// embedded Python's major.minor; otherwise `start()` says which versions differ.
    ///
    /// Default: none.
    pub fn venv(mut self, path: impl AsRef<Path>) -> Self {
        self.venv = Some(path.as_ref().to_string_lossy().into_owned());
        self
    }

    /// Logs every task (command, duration, outcome) to Rust's `log` at `debug` level
    /// (target `pime`), and lets Python `logging` records down to `DEBUG` through.
    ///
    /// Default: off.
    pub fn debug(mut self) -> Self {
        self.config.debug = true;
        self
    }

    /// Bounds how long [`crate::stop`] waits for running tasks. When it passes, the
    /// callers of tasks still running or not started get an error, and the engine
    /// goes offline; the stuck worker threads are left to finish on their own (each
    /// ends when its broker returns), and coroutines still running are cancelled.
    ///
    /// Default: none (`stop` waits for every task). Any duration; one too long to
    /// represent as a deadline means none.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.config.stop_timeout = Some(timeout);
        self
    }

    /// Collects per-command call counts and timings for [`crate::stats`]. It costs a
    /// shared map update per task. Process-wide, and stays on once on.
    ///
    /// Default: off.
    pub fn command_stats(mut self) -> Self {
        self.config.command_stats = true;
        self
    }

    /// Interrupts a running sync broker when its deadline passes — a call's timeout
    /// ([`crate::PyTask::set_timeout`], or `#[pime(timeout = ..)]`), or the stop
    /// deadline ([`EngineBuilder::stop_timeout`]) — the way Ctrl-C would: a
    /// `KeyboardInterrupt` is raised in its thread, so its worker is free again, and
    /// the caller gets `ErrorKind::Timeout` (or the stop error). A pure-Python loop
    /// stops at its next bytecode; C code that does not return to the interpreter
    /// (`time.sleep`, a long C call) is interrupted only when it returns. Async
    /// commands and streams are not interrupted this way (a dropped caller cancels a
    /// coroutine; a stream ends at stop).
    ///
    /// Default: off.
    pub fn interrupt_on_deadline(mut self, on: bool) -> Self {
        self.config.interrupt_on_deadline = on;
        self
    }

    /// Sets Python's thread switch interval (`sys.setswitchinterval`): how long a
    /// thread running pure-Python code keeps the GIL before others get a turn. Lower
    /// values cut the latency of short calls while CPU-bound brokers run, at some cost
    /// in their throughput. Process-wide.
    ///
    /// Default: Python's own (5 ms). Range: above zero; longer than an hour
    /// saturates to an hour.
    pub fn switch_interval(mut self, interval: Duration) -> Self {
        self.config.switch_interval = Some(interval);
        self
    }

    /// How long a PIME thread with a task to start (a pool worker, or the engine
    /// thread for an exclusive task) waits for the GIL before asking the thread that
    /// holds it to hand it over; `None` turns the prompt hand-off off. It keeps short
    /// calls short while CPU-bound brokers run (`pime-bench/README.md`, the busy
    /// rows). While a task waits to start, the switch interval is lowered to this
    /// value and `sys.getswitchinterval()` reads it; the busy threads then switch
    /// among themselves more often too.
    ///
    /// Works on Unix; the waiting thread lowers the interval itself. From CPython 3.12
    /// the interval sits in a struct private to the interpreter: PIME reaches it with a
    /// few lines of C compiled against the internal headers of the Python it builds
    /// against (`internal/pycore_interp.h`, installed with the headers), and only when
    /// the running interpreter is exactly that version. Without those headers (the
    /// build warns), with another CPython at run time, or elsewhere, this setting has
    /// no effect.
    ///
    /// Default: [`DEFAULT_GIL_REQUEST_INTERVAL`](crate::DEFAULT_GIL_REQUEST_INTERVAL)
    /// (50 µs). Range: any; it saturates between 1 µs and about 71 minutes.
    pub fn gil_request_interval(mut self, interval: Option<Duration>) -> Self {
        self.config.gil_request_interval = interval;
        self
    }

    /// Runs tasks on the executor that `module.factory()` returns, called on the
    /// engine thread at start, instead of the built-in pool: any
    /// `concurrent.futures.Executor`, such as a `ProcessPoolExecutor` or a Dask
    /// client's `get_executor()`. The engine submits `broker(command, params)` to it
    /// and completes the caller from the future's done-callback; it does not shut the
    /// executor down on stop (it is yours). With a process-based executor the broker,
    /// params and results must be picklable.
    ///
    /// Default: the built-in pool.
    pub fn executor(mut self, module: impl Into<String>, factory: impl Into<String>) -> Self {
        self.executor = Some(ExecutorSource::Factory {
            module: module.into(),
            factory: factory.into(),
        });
        self
    }

    /// Runs tasks on this executor object (see [`EngineBuilder::executor`]).
    pub fn executor_object(mut self, executor: Py<PyAny>) -> Self {
        self.executor = Some(ExecutorSource::Object(executor));
        self
    }

    /// The broker is `module.attribute`, imported when the engine starts.
    pub fn broker(mut self, module: impl Into<String>, attribute: impl Into<String>) -> Self {
        self.broker = Some(BrokerSource::Attribute {
            module: module.into(),
            attribute: attribute.into(),
        });
        self
    }

    /// The broker is this Python callable.
    pub fn broker_object(mut self, broker: Py<PyAny>) -> Self {
        self.broker = Some(BrokerSource::Object(broker));
        self
    }

    /// Registers a host module: Rust functions Python imports as a module (`import app`),
    /// generated by [`macro@crate::host_module`]. It is registered before the broker is
    /// imported; its `async fn`s run on the tokio runtime that calls
    /// [`EngineBuilder::start`]. May be repeated, with a module name each: a name
    /// given twice, or one Python could import already (`json`), is a `start()` error.
    ///
    /// Default: none.
    pub fn host(mut self, host: impl HostModule) -> Self {
        self.hosts.push(host.into_spec());
        self
    }

    /// Starts the engine on a new thread named `pime-engine` and returns once it
    /// accepts calls. Set-up errors (a setting out of range, a broker that cannot be
    /// imported, a bad venv, an engine already running) come back here.
    pub async fn start(mut self) -> Result<Engine> {
        self.config.check()?;
        let Some(broker) = self.broker.take() else {
            return Err(Error::new(
                ErrorKind::ExecError,
                "no broker: call .broker(\"module\", \"attribute\") or .broker_object(..) before .start()",
            ));
        };
        let runtime = tokio::runtime::Handle::current();
        let (ready_sender, ready) = oneshot::channel();
        let (finished_sender, finished) = oneshot::channel();
        std::thread::Builder::new()
            .name("pime-engine".into())
            // Exclusive tasks run on this thread: it gets a worker's stack.
            .stack_size(WORKER_STACK_SIZE)
            .spawn(move || {
                let mut ready_sender = Some(ready_sender);
                let outcome = Python::attach(|py| {
                    self.run(py, broker, &runtime, |generation| {
                        if let Some(ready) = ready_sender.take() {
                            let _ = ready.send(Ok(generation));
                        }
                    })
                });
                if let Some(ready) = ready_sender.take() {
                    let _ = ready.send(outcome.clone().map(|()| 0));
                }
                let _ = finished_sender.send(outcome);
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::InternalError,
                    format!("cannot spawn the engine thread: {e}"),
                )
            })?;
        let generation = ready.await.unwrap_or_else(|_| Err(thread_died()))?;
        Ok(Engine {
            generation,
            finished,
        })
    }

    fn run(
        self,
        py: Python<'_>,
        broker: BrokerSource,
        runtime: &tokio::runtime::Handle,
        on_online: impl FnOnce(u64),
    ) -> Result<()> {
        let engine = PySyncEngine::with_config(py, self.venv.as_deref(), self.config)?;
        // Like a pool worker, Python knows this thread by its name, as a non-daemon
        // thread (threads an exclusive broker starts inherit that).
        sources::runtime(py)
            .and_then(|runtime| runtime.call_method1("name_worker_thread", ("pime-engine",)))
            .map_err(|e| exec_error_in(py, e, "cannot name the engine thread"))?;
        for path in &self.import_paths {
            engine.add_import_path(path)?;
        }
        for host in self.hosts {
            engine.add_host_spec(host, runtime)?;
        }
        match self.executor {
            Some(ExecutorSource::Factory { module, factory }) => {
                let executor = py
                    .import(module.as_str())
                    .and_then(|m| m.getattr(factory.as_str()))
                    .and_then(|f| f.call0())
                    .map_err(|e| {
                        load_error(py, e, &format!("the executor {module}.{factory}()"))
                    })?;
                engine.set_executor(&executor);
            }
            Some(ExecutorSource::Object(executor)) => engine.set_executor(executor.bind(py)),
            None => {}
        }
        let broker = match broker {
            BrokerSource::Attribute { module, attribute } => {
                engine.set_broker_origin(&module, &attribute);
                let broker = py
                    .import(module.as_str())
                    .and_then(|m| m.getattr(attribute.as_str()))
                    .map_err(|e| load_error(py, e, &format!("the broker {module}.{attribute}")))?;
                check_callable(&broker, &format!("the broker {module}.{attribute}"))?;
                broker
            }
            BrokerSource::Object(object) => object.into_bound(py),
        };
        let outcome = engine.launch_with_hook(py, &broker, on_online);
        if let Err(e) = sources::runtime(py).and_then(|r| r.call_method0("forget_worker_thread")) {
            log::warn!(target: "pime", "cannot remove the engine thread from threading: {e}");
        }
        outcome
    }
}

/// An import or call that failed while loading `what`. A module that is not found
/// says where Python looked.
fn load_error(py: Python<'_>, err: PyErr, what: &str) -> Error {
    let not_found = err.is_instance_of::<pyo3::exceptions::PyModuleNotFoundError>(py);
    let mut error = exec_error_in(py, err, &format!("cannot load {what}"));
    if not_found {
        let searched = py
            .import("sys")
            .and_then(|sys| sys.getattr("path"))
            .and_then(|path| path.extract::<Vec<String>>())
            .map(|paths| paths.join(", "))
            .unwrap_or_else(|e| format!("<sys.path unreadable: {e}>"));
        error.message = format!(
            "{}; searched sys.path: {searched} (add the broker's folder with .import_path(..))",
            error.message
        );
    }
    error
}

fn thread_died() -> Error {
    Error::new(
        ErrorKind::InternalError,
        "the engine thread ended without reporting (it panicked)",
    )
}
