//! `PySyncEngine`: the engine loop on the thread that holds the GIL.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::sync::mpsc;

use crate::dispatcher::Dispatcher;
use crate::error::{Error, ErrorKind, Result};
use crate::exceptions::exec_error;
use crate::gil_handoff::{self, DEFAULT_GIL_REQUEST_INTERVAL};
use crate::in_flight::InFlight;
use crate::job::SharedBroker;
use crate::state::{self, Envelope};
use crate::worker_pool::{PoolConfig, WorkerPool};
use crate::{logging, python_sources, signals, venv};

/// How many tasks may wait in each queue (the pool's, the engine thread's) before
/// callers wait for room.
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
    config: RefCell<Config>,
}

/// What the setters of [`PySyncEngine`] configure.
struct Config {
    min_workers: u32,
    max_workers: u32,
    queue_capacity: usize,
    debug: bool,
    stop_timeout: Option<Duration>,
    /// A user-supplied `concurrent.futures.Executor`; `None` for the built-in pool.
    executor: Option<Py<PyAny>>,
    /// Where the broker was imported from (set by the builder), for `pime::reload`.
    broker_origin: Option<(String, String)>,
    /// See [`PySyncEngine::set_gil_request_interval`].
    gil_request_interval: Option<Duration>,
}

impl<'py> PySyncEngine<'py> {
    /// Prepares an engine in the current interpreter: makes the embedded `pime` helper
    /// package importable and bridges Python `logging` to Rust's `log`.
    pub fn new(py: Python<'py>) -> Result<Self> {
        signals::import_signal_keeping_sigint(py).map_err(|e| exec_error(py, e))?;
        python_sources::register(py).map_err(|e| exec_error(py, e))?;
        logging::install(py).map_err(|e| exec_error(py, e))?;
        python_sources::runtime(py)
            .and_then(|runtime| runtime.call_method0("configure_multiprocessing"))
            .map_err(|e| exec_error(py, e))?;
        let default_max = std::thread::available_parallelism()
            .map_or(4, |n| n.get() as u32 + 4)
            .min(32);
        Ok(PySyncEngine {
            py,
            config: RefCell::new(Config {
                min_workers: 1,
                max_workers: default_max,
                queue_capacity: DEFAULT_QUEUE_CAPACITY,
                debug: false,
                stop_timeout: None,
                executor: None,
                broker_origin: None,
                gil_request_interval: Some(DEFAULT_GIL_REQUEST_INTERVAL),
            }),
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
        add().map_err(|e| exec_error(py, e))
    }

    /// Logs every task (command, duration, outcome) to Rust's `log` at `debug` level
    /// (target `pime`), and lets Python `logging` records down to `DEBUG` through.
    pub fn enable_debug(&self) -> Result<()> {
        self.config.borrow_mut().debug = true;
        logging::enable_debug(self.py).map_err(|e| exec_error(self.py, e))
    }

    /// `min` worker threads exist before the first task (started before `launch` goes
    /// online); more start when a task comes and no worker is idle, up to `max`, and
    /// stay until the engine stops. At most `max` run at once. (Not used with
    /// [`PySyncEngine::set_executor`].)
    pub fn set_thread_pool_size(&self, min: u32, max: u32) -> Result<()> {
        if max == 0 || min > max {
            return Err(Error::new(
                ErrorKind::ExecError,
                format!("thread pool size needs 1 <= max and min <= max, got min {min}, max {max}"),
            ));
        }
        let mut config = self.config.borrow_mut();
        config.min_workers = min;
        config.max_workers = max;
        Ok(())
    }

    /// How many tasks may wait in a queue (default 1024): pooled
    /// tasks in the pool's queue (besides the one each worker runs), exclusive tasks
    /// in the engine thread's. When it is full, [`crate::call`] waits for room. With
    /// [`PySyncEngine::set_executor`], every task goes through the engine thread's
    /// queue, and at most this many plus the pool's `max` wait in the executor.
    pub fn set_queue_capacity(&self, capacity: usize) -> Result<()> {
        if capacity == 0 {
            return Err(Error::new(
                ErrorKind::ExecError,
                "queue capacity must be at least 1",
            ));
        }
        self.config.borrow_mut().queue_capacity = capacity;
        Ok(())
    }

    /// Bounds how long [`crate::stop`] waits for running tasks. When it passes, the
    /// callers of tasks still running or not started get an error, and `launch`
    /// returns; the stuck worker threads are left to finish on their own (each ends
    /// when its broker returns).
    /// Without it (the default), `stop` waits for every task.
    pub fn set_stop_timeout(&self, timeout: Duration) {
        self.config.borrow_mut().stop_timeout = Some(timeout);
    }

    /// Runs tasks on `executor` (any `concurrent.futures.Executor`, such as a
    /// `ProcessPoolExecutor` or a Dask client's `get_executor()`) instead of the
    /// built-in thread pool. The engine submits `broker(command, params)` to it and
    /// completes the caller from the future's done-callback; it does not shut the
    /// executor down on stop (it is yours). With a process-based executor the broker,
    /// params and results must be picklable.
    pub fn set_executor(&self, executor: &Bound<'py, PyAny>) {
        self.config.borrow_mut().executor = Some(executor.clone().unbind());
    }

    /// Collects per-command call counts and timings for [`crate::stats`] (off by
    /// default: it costs a shared map update per task). Process-wide, stays on.
    pub fn enable_command_stats(&self) {
        crate::stats::COUNTERS.enable_per_command();
    }

    /// Remembers that the broker is `module.attribute`, for [`crate::reload`].
    pub(crate) fn set_broker_origin(&self, module: &str, attribute: &str) {
        self.config.borrow_mut().broker_origin = Some((module.to_string(), attribute.to_string()));
    }

    /// Sets Python's thread switch interval (`sys.setswitchinterval`): how long a
    /// thread running pure-Python code keeps the GIL before others get a turn. Lower
    /// values cut the latency of short calls while CPU-bound brokers run, at some cost
    /// in their throughput. Python's default is 5 ms. Process-wide.
    pub fn set_switch_interval(&self, interval: Duration) -> Result<()> {
        let py = self.py;
        let set = || -> PyResult<()> {
            py.import("sys")?
                .call_method1("setswitchinterval", (interval.as_secs_f64(),))?;
            Ok(())
        };
        set().map_err(|e| exec_error(py, e))
    }

    /// How long a PIME thread with a task to start (a pool worker, or the engine
    /// thread for an exclusive task) waits for the GIL before asking the thread that
    /// holds it to hand it over; default [`DEFAULT_GIL_REQUEST_INTERVAL`] (50 µs).
    /// `None`: wait like any Python thread, a whole switch interval per request.
    ///
    /// It keeps short calls short while CPU-bound brokers run: with 4 threads
    /// looping in pure Python, a no-op call's p99 went from 83–158 ms to 5.5–7.0 ms
    /// (README, "How it works"; `pime-bench` rows 5). While a task waits to start, the switch
    /// interval is lowered to this value and `sys.getswitchinterval()` reads it; the
    /// busy threads then switch among themselves more often too. Works on CPython up
    /// to 3.11 on Unix; elsewhere this setting has no effect.
    pub fn set_gil_request_interval(&self, interval: Option<Duration>) {
        self.config.borrow_mut().gil_request_interval = interval;
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
        let config = self.config.borrow();
        gil_handoff::configure(py, config.gil_request_interval);
        let in_flight = Arc::new(InFlight::new(
            config.queue_capacity + config.max_workers as usize,
            config.stop_timeout.is_some(),
        ));
        let broker = Arc::new(SharedBroker::new(broker.clone().unbind()));
        let (executor_submit, pool) = match &config.executor {
            Some(executor) => {
                let submit = executor
                    .bind(py)
                    .getattr("submit")
                    .map_err(|e| exec_error(py, e))?;
                (Some(submit), None)
            }
            None => {
                let pool_config = PoolConfig {
                    min_workers: config.min_workers as usize,
                    max_workers: config.max_workers as usize,
                    queue_capacity: config.queue_capacity,
                    debug: config.debug,
                };
                let pool = WorkerPool::start(
                    py,
                    &pool_config,
                    Arc::clone(&broker),
                    Arc::clone(&in_flight),
                )?;
                (None, Some(pool))
            }
        };
        let (pool, pool_sender) = match pool {
            Some((pool, sender)) => (Some(pool), Some(sender)),
            None => (None, None),
        };
        let dispatcher = Dispatcher {
            py,
            in_flight: Arc::clone(&in_flight),
            broker,
            origin: RefCell::new(config.broker_origin.clone()),
            executor_submit,
            debug: config.debug,
        };
        let (sender, mut queue) = mpsc::channel(config.queue_capacity);
        claim.go_online(sender, pool_sender);
        on_online();

        dispatcher.serve(&mut queue);

        // Refuse new calls, fail those still queued for the engine thread, let the
        // running ones (and with the built-in pool, the queued ones) finish.
        claim.refuse_calls();
        queue.close();
        while let Ok(envelope) = queue.try_recv() {
            match envelope {
                Envelope::Task(task, Some(reply)) => {
                    task.dispose();
                    reply.fail(not_started());
                }
                Envelope::Task(task, None) => task.dispose(),
                Envelope::Reload(request) => {
                    let _ = request.done.send(Err(Error::engine_state(
                        "the PIME engine stopped before reloading",
                    )));
                }
                // The loop's coroutines end with the engine; nothing to cancel one by one.
                Envelope::Cancel(_) | Envelope::Stop => {}
            }
        }
        if let Some(pool) = &pool {
            pool.close();
        }
        let deadline = config.stop_timeout.map(|timeout| Instant::now() + timeout);
        let drained = py.detach(|| {
            pool.as_ref().is_none_or(|pool| pool.wait_ended(deadline))
                && in_flight.wait_drained(deadline)
        });
        if !drained {
            // Stuck workers are abandoned: they end when their broker returns.
            if let Some(pool) = &pool {
                pool.abandon(&not_started());
            }
            in_flight.fail_outstanding(&Error::engine_state(format!(
                "the PIME engine stopped after its stop timeout ({:?}) with this task still running",
                config.stop_timeout.unwrap_or_default()
            )));
        }
        drop(claim);
        Ok(())
    }
}

/// The error of a task that the engine stopped before it started.
fn not_started() -> Error {
    Error::engine_state("the PIME engine stopped before the task started")
}
