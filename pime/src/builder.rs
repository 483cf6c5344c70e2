//! `Engine::builder()`: starts the engine on a thread of its own, so the common case
//! needs no GIL handling at all.

use std::path::Path;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::sync::oneshot;

use crate::engine::PySyncEngine;
use crate::error::{Error, ErrorKind, Result};

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
    finished: oneshot::Receiver<Result<()>>,
}

/// Where the broker comes from.
enum BrokerSource {
    Attribute { module: String, attribute: String },
    Object(Py<PyAny>),
}

/// Configures and starts an [`Engine`]; see [`Engine::builder`].
#[must_use = "call .start().await to run the engine"]
pub struct EngineBuilder {
    import_paths: Vec<String>,
    thread_pool: Option<(u32, u32)>,
    queue_capacity: Option<usize>,
    venv: Option<String>,
    debug: bool,
    stop_timeout: Option<Duration>,
    switch_interval: Option<Duration>,
    gil_request_interval: Option<Option<Duration>>,
    command_stats: bool,
    executor: Option<ExecutorSource>,
    broker: Option<BrokerSource>,
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
            import_paths: Vec::new(),
            thread_pool: None,
            queue_capacity: None,
            venv: None,
            debug: false,
            stop_timeout: None,
            switch_interval: None,
            gil_request_interval: None,
            command_stats: false,
            executor: None,
            broker: None,
        }
    }

    /// Stops the engine gracefully (see [`crate::stop`]) and waits for its thread to end.
    pub async fn stop(self) -> Result<()> {
        crate::stop().await?;
        self.wait().await
    }

    /// Waits until the engine's thread ends (after some [`crate::stop`]), with how it ended.
    pub async fn wait(self) -> Result<()> {
        self.finished.await.unwrap_or_else(|_| Err(thread_died()))
    }
}

impl EngineBuilder {
    /// Puts `path` on `sys.path` before the broker is imported (may be repeated; the
    /// last one added is searched first).
    pub fn import_path(mut self, path: impl AsRef<Path>) -> Self {
        self.import_paths
            .push(path.as_ref().to_string_lossy().into_owned());
        self
    }

    /// See [`PySyncEngine::set_thread_pool_size`].
    pub fn thread_pool(mut self, min: u32, max: u32) -> Self {
        self.thread_pool = Some((min, max));
        self
    }

    /// See [`PySyncEngine::set_queue_capacity`].
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// Activates the virtual environment at `path` (see [`PySyncEngine::new_venv`]).
    pub fn venv(mut self, path: impl AsRef<Path>) -> Self {
        self.venv = Some(path.as_ref().to_string_lossy().into_owned());
        self
    }

    /// See [`PySyncEngine::enable_debug`].
    pub fn debug(mut self) -> Self {
        self.debug = true;
        self
    }

    /// See [`PySyncEngine::set_stop_timeout`].
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = Some(timeout);
        self
    }

    /// See [`PySyncEngine::enable_command_stats`].
    pub fn command_stats(mut self) -> Self {
        self.command_stats = true;
        self
    }

    /// See [`PySyncEngine::set_switch_interval`].
    pub fn switch_interval(mut self, interval: Duration) -> Self {
        self.switch_interval = Some(interval);
        self
    }

    /// See [`PySyncEngine::set_gil_request_interval`].
    pub fn gil_request_interval(mut self, interval: Option<Duration>) -> Self {
        self.gil_request_interval = Some(interval);
        self
    }

    /// Runs tasks on the executor that `module.factory()` returns, called on the
    /// engine thread at start (see [`PySyncEngine::set_executor`]).
    pub fn executor(mut self, module: impl Into<String>, factory: impl Into<String>) -> Self {
        self.executor = Some(ExecutorSource::Factory {
            module: module.into(),
            factory: factory.into(),
        });
        self
    }

    /// Runs tasks on this executor object (see [`PySyncEngine::set_executor`]).
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

    /// Starts the engine on a new thread named `pime-engine` and returns once it
    /// accepts calls. Set-up errors (a broker that cannot be imported, a bad venv, an
    /// engine already running) come back here.
    pub async fn start(mut self) -> Result<Engine> {
        let Some(broker) = self.broker.take() else {
            return Err(Error::new(
                ErrorKind::ExecError,
                "no broker: call .broker(\"module\", \"attribute\") or .broker_object(..) before .start()",
            ));
        };
        let (ready_sender, ready) = oneshot::channel();
        let (finished_sender, finished) = oneshot::channel();
        std::thread::Builder::new()
            .name("pime-engine".into())
            .spawn(move || {
                let mut ready_sender = Some(ready_sender);
                let outcome = Python::attach(|py| {
                    self.run(py, broker, || {
                        if let Some(ready) = ready_sender.take() {
                            let _ = ready.send(Ok(()));
                        }
                    })
                });
                if let Some(ready) = ready_sender.take() {
                    let _ = ready.send(outcome.clone());
                }
                let _ = finished_sender.send(outcome);
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::InternalError,
                    format!("cannot spawn the engine thread: {e}"),
                )
            })?;
        ready.await.unwrap_or_else(|_| Err(thread_died()))?;
        Ok(Engine { finished })
    }

    fn run(self, py: Python<'_>, broker: BrokerSource, on_online: impl FnOnce()) -> Result<()> {
        let engine = match &self.venv {
            Some(venv) => PySyncEngine::new_venv(py, venv)?,
            None => PySyncEngine::new(py)?,
        };
        for path in &self.import_paths {
            engine.add_import_path(path)?;
        }
        if let Some((min, max)) = self.thread_pool {
            engine.set_thread_pool_size(min, max)?;
        }
        if let Some(capacity) = self.queue_capacity {
            engine.set_queue_capacity(capacity)?;
        }
        if self.debug {
            engine.enable_debug()?;
        }
        if let Some(timeout) = self.stop_timeout {
            engine.set_stop_timeout(timeout);
        }
        if self.command_stats {
            engine.enable_command_stats();
        }
        if let Some(interval) = self.switch_interval {
            engine.set_switch_interval(interval)?;
        }
        if let Some(interval) = self.gil_request_interval {
            engine.set_gil_request_interval(interval);
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
                py.import(module.as_str())
                    .and_then(|m| m.getattr(attribute.as_str()))
                    .map_err(|e| load_error(py, e, &format!("the broker {module}.{attribute}")))?
            }
            BrokerSource::Object(object) => object.into_bound(py),
        };
        engine.launch_with_hook(py, &broker, on_online)
    }
}

/// An import or call that failed while loading `what`.
fn load_error(py: Python<'_>, err: PyErr, what: &str) -> Error {
    crate::exceptions::exec_error_in(py, err, &format!("cannot load {what}"))
}

fn thread_died() -> Error {
    Error::new(
        ErrorKind::InternalError,
        "the engine thread ended without reporting (it panicked)",
    )
}
