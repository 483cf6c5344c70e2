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

/// The `python3` executable of the CPython these tests embed: `PYO3_PYTHON` at build
/// time (`/usr/bin/python3` from `.cargo/config.toml`, or the exported one, as `.ci/run`
/// does for the other versions), for the helpers that start a Python process of their
/// own (`venv`, the Dask cluster, `pip`), which must be the embedded major.minor.
pub const PYTHON: &str = match option_env!("PYO3_PYTHON") {
    Some(python) => python,
    None => "python3",
};

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
    configure(with_pool_from_env(builder))
        .start()
        .await
        .expect("the engine starts")
}

/// `PIME_TESTS_POOL=interpreters` runs the tests that start through [`start`] on two
/// own-GIL subinterpreters instead of the thread pool (CPython 3.12+; `.ci/run` does so
/// for the tests whose brokers make sense there: values, errors, streams, ...).
pub fn with_pool_from_env(builder: pime::EngineBuilder) -> pime::EngineBuilder {
    match std::env::var("PIME_TESTS_POOL").as_deref() {
        Ok("interpreters") => builder.interpreters(2),
        _ => builder,
    }
}

/// Whether the embedded CPython has own-GIL subinterpreters (3.12+); when it does not,
/// says so on stdout, for a subinterpreter test that then has nothing to run.
pub fn subinterpreters_supported() -> bool {
    let supported = pyo3::Python::attach(|py| py.version_info() >= (3, 12));
    if !supported {
        println!("skipped: subinterpreters need CPython 3.12+");
    }
    supported
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

/// A real virtual environment made by [`PYTHON`]` -m venv --without-pip` in `dir`.
pub fn make_venv(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    let status = Command::new(PYTHON)
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

// ---------------------------------------------------------------- hardening helpers

/// Awaits `future`, failing the test (instead of hanging) when it takes longer than
/// `seconds`; `what` names the step in the failure message.
pub async fn within<T>(seconds: u64, what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(seconds), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: still not done after {seconds} s"))
}

/// Resident memory of this process now, in MiB (`/proc/self/statm`, second field,
/// times the page size).
pub fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("statm has a resident field");
    // SAFETY: sysconf only reads a constant of the running system.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    pages * page_size / (1024.0 * 1024.0)
}

/// The peak resident memory (`VmHWM`) of this process since start or since the last
/// [`reset_peak_resident`], in MiB.
pub fn peak_resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kib| kib / 1024.0)
        .expect("/proc/self/status has VmHWM")
}

/// Resets the peak resident memory to the current resident memory (Linux: writing `5`
/// to `/proc/self/clear_refs`), so [`peak_resident_mib`] measures from here on.
pub fn reset_peak_resident() {
    std::fs::write("/proc/self/clear_refs", "5").expect("write /proc/self/clear_refs");
}

/// Runs `f` with the GIL on a blocking thread (the engine thread is never blocked by
/// this: it releases the GIL whenever it waits), for test set-up and inspection.
pub async fn with_python<T: Send + 'static>(
    f: impl for<'py> FnOnce(pyo3::Python<'py>) -> T + Send + 'static,
) -> T {
    tokio::task::spawn_blocking(move || pyo3::Python::attach(f))
        .await
        .expect("the Python closure did not panic")
}
pub mod dask_cluster;
pub mod host_support;

/// `depth` lists around `leaf`.
pub fn nested_lists(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |inner, _| Value::Seq(vec![inner]))
}

/// `depth` single-key dicts around `leaf`.
pub fn nested_dicts(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |inner, _| {
        Value::Map(BTreeMap::from([(s("k"), inner)]))
    })
}

/// `testmod`-style `echo(value)`, moving `value` into the task (no recursive clone),
/// with the outcome as it came.
pub async fn echo_outcome(value: Value) -> pime::Result<Option<Value>> {
    let params = BTreeMap::from([("value".to_string(), value)]);
    within(10, "echo", pime::call(PyTask::new(s("echo"), params))).await
}

/// Checks the engine still serves (after a fault): the broker's `echo` of `"alive"`
/// comes back within 10 s.
pub async fn assert_still_serving() {
    assert_eq!(echo_outcome(s("alive")).await, Ok(Some(s("alive"))));
}

pub mod matrix;
pub mod trace_recorder;

/// What CPython itself keeps of an own-GIL subinterpreter once it has ended, in MiB per
/// interpreter: `count` interpreters created, made to run `code` (imports like those of
/// a PIME worker) and destroyed through `_interpreters` (3.13) / `_xxsubinterpreters`
/// (3.12), with no PIME involved, after a few to warm up. The baseline that PIME's own
/// start / stop cycles are compared with.
pub fn raw_interpreter_leak_mib(code: &str, count: usize) -> f64 {
    use pyo3::types::PyAnyMethods;
    let cycle = |n: usize| {
        pyo3::Python::attach(|py| {
            let module = py
                .import("_interpreters")
                .or_else(|_| py.import("_xxsubinterpreters"))
                .expect("CPython 3.12+ has a subinterpreter module");
            for _ in 0..n {
                let id = module.call_method0("create").expect("an interpreter");
                module
                    .call_method1("run_string", (&id, code))
                    .expect("the code runs");
                module.call_method1("destroy", (&id,)).expect("destroyed");
            }
        })
    };
    cycle(3);
    let before = resident_mib();
    cycle(count);
    (resident_mib() - before) / count as f64
}
