//! Shared helpers of the integration tests. Every test binary (one per file in
//! `tests/tests/`, because the engine is process-global) starts a real embedded
//! CPython running the brokers in `tests/python/`.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;

use pime::{PyTask, Value};

/// The folder of the test brokers.
pub const PYTHON_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python");

/// Starts an engine serving `module.broker` from [`PYTHON_DIR`] with a pool of `min..=max`.
pub async fn start(module: &str, min: u32, max: u32) -> pime::Engine {
    start_with(module, |builder| builder.thread_pool(min, max)).await
}

/// Starts an engine serving `module.broker` from [`PYTHON_DIR`], configured by `configure`.
pub async fn start_with(
    module: &str,
    configure: impl FnOnce(pime::EngineBuilder) -> pime::EngineBuilder,
) -> pime::Engine {
    let builder = pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker(module, "broker");
    configure(builder).start().await.expect("the engine starts")
}

/// A task `command` with `params` given as name/value pairs.
pub fn task(command: &str, params: &[(&str, Value)]) -> PyTask {
    let params: BTreeMap<String, Value> = params
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    PyTask::new(Value::String(command.into()), params)
}

/// A `String` value.
pub fn s(text: &str) -> Value {
    Value::String(text.into())
}

/// Calls `command` and expects a result.
pub async fn call_ok(command: &str, params: &[(&str, Value)]) -> Value {
    pime::call(task(command, params))
        .await
        .unwrap_or_else(|e| panic!("{command} failed: {e}"))
        .unwrap_or_else(|| panic!("{command} returned None"))
}

/// Spawns `pime::call(task)` after polling it once, so the task is already in the
/// engine's queue when this returns (plain `tokio::spawn` gives no such order).
pub async fn spawn_sent(task: PyTask) -> tokio::task::JoinHandle<pime::Result<Option<Value>>> {
    let mut call = Box::pin(pime::call(task));
    let first_poll =
        std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
    match first_poll {
        std::task::Poll::Ready(outcome) => tokio::spawn(async move { outcome }),
        std::task::Poll::Pending => tokio::spawn(call),
    }
}

/// Waits (as an exclusive task, so a full pool does not delay it) until `count`
/// `sleep` calls of `testmod` run at once.
pub async fn wait_running(count: i64) {
    let mut wait = task(
        "wait_running",
        &[("count", Value::I64(count)), ("timeout", Value::F64(10.0))],
    );
    wait.mark_exclusive();
    pime::call(wait).await.expect("the sleeps started");
}

/// A `Map` value from key/value pairs.
pub fn map_of(entries: Vec<(Value, Value)>) -> Value {
    Value::Map(entries.into_iter().collect())
}

/// Asks `testmod` to build the Python value it knows as `name` and send it back.
pub async fn built(name: &str) -> pime::Result<Option<Value>> {
    pime::call(task("build", &[("expr", s(name))])).await
}

/// Sends `value` through `testmod.echo` and returns what came back.
pub async fn echo(value: Value) -> Option<Value> {
    pime::call(task("echo", &[("value", value)])).await.unwrap()
}

/// A fresh directory under `parent`, removed first if a previous run left it.
pub fn scratch_dir(parent: &str, name: &str) -> PathBuf {
    let dir = Path::new(parent).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A real virtual environment made by `python3 -m venv --without-pip` in `dir`.
pub fn make_venv(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    let status = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "python3 -m venv failed");
    venv
}

/// The `lib/python3.X/site-packages` folder of `venv`.
pub fn venv_site_packages(venv: &Path) -> PathBuf {
    let python_dir = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("python3")
        })
        .expect("lib/python3.X");
    python_dir.join("site-packages")
}

/// Starts an engine in `venv` serving `venv_broker.broker`.
pub async fn start_in_venv(venv: &Path) -> pime::Result<pime::Engine> {
    pime::Engine::builder()
        .venv(venv)
        .broker("venv_broker", "broker")
        .start()
        .await
}
