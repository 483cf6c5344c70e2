//! Shared scaffolding of the `adversarial_host_*` tests: the timeout wrappers every
//! await there goes through, the gates host functions wait on, and the host modules
//! several of those tests declare alike - [`nest_app`] (broker
//! `adversarial_host_nest`) and [`stop_app`] (broker `adversarial_host_stop`).
//!
//! Each test binary links its own copy of this library, so the statics here (the
//! gates, the counters of [`stop_app`]) belong to one test process.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pime::Value;

use crate::task;

/// Awaits `future`, failing the test (instead of hanging) when it takes longer than
/// `seconds`; `what` names the step in the failure message.
pub async fn bounded<T>(what: &str, seconds: u64, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {seconds} s (hang)"))
}

/// Awaits `future` for at most `seconds`: its output, or an `Err` naming the hang, for
/// the tests that count a hang as one problem among others and go on.
pub async fn answer<T>(seconds: u64, future: impl Future<Output = T>) -> Result<T, String> {
    tokio::time::timeout(Duration::from_secs(seconds), future)
        .await
        .map_err(|_| format!("HANG (no answer within {seconds} s)"))
}

/// `pime::call` of `command` with `params`, failing the test when it takes longer
/// than `seconds`.
pub async fn call_within(
    seconds: u64,
    command: &str,
    params: &[(&str, Value)],
) -> pime::Result<Option<Value>> {
    answer(seconds, pime::call(task(command, params)))
        .await
        .unwrap_or_else(|hang| panic!("{command} {params:?}: {hang}"))
}

/// Checks `done` every 5 ms for at most `seconds`: whether it came true.
pub async fn poll_until(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Starts an engine serving `broker` from [`crate::PYTHON_DIR`], configured by
/// `configure`; fails the test when `start()` takes longer than 30 s.
pub async fn launch(
    broker: &str,
    configure: impl FnOnce(pime::EngineBuilder) -> pime::EngineBuilder,
) -> pime::Engine {
    let what = format!("start serving {broker}");
    bounded(&what, 30, crate::start_with(broker, configure)).await
}

/// [`launch`] with `host`, on a pool of `min..=max`, with a stop timeout of
/// `stop_seconds`.
pub async fn launch_host(
    broker: &str,
    (min, max): (u32, u32),
    stop_seconds: u64,
    host: impl pime::HostModule,
) -> pime::Engine {
    launch(broker, |b| {
        b.thread_pool(min, max)
            .stop_timeout(Duration::from_secs(stop_seconds))
            .host(host)
    })
    .await
}

/// The open gates, by name (an open gate stays open).
static GATES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static GATE_OPENED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Opens `gate`, waking every [`wait_gate`] of it.
pub fn open_gate(gate: &str) {
    GATES.lock().unwrap().insert(gate.to_string());
    GATE_OPENED.notify_waiters();
}

/// Returns once `gate` is open (the callers bound it: it is awaited in host calls).
pub async fn wait_gate(gate: &str) {
    loop {
        let opened = GATE_OPENED.notified();
        if GATES.lock().unwrap().contains(gate) {
            return;
        }
        opened.await;
    }
}

/// The `nest_app` host module the broker `adversarial_host_nest` calls (tests
/// `adversarial_host_nest`, `_deep_nest`, `_capacity`, `_stack_inversion`).
pub mod nest_app {
    use pime::{ErrorKind, Value};

    use super::{call_within, launch, open_gate, wait_gate};
    use crate::{s, task};

    #[pime::host_module(module = "nest_app")]
    pub trait NestApp {
        /// Calls `nested` (mode "sync") or `nested_async` (otherwise) with `depth`.
        async fn nest(&self, depth: u32, mode: String) -> pime::Result<String>;
        /// Waits until `gate` is open.
        async fn wait(&self, gate: String) -> pime::Result<()>;
        /// Opens `gate`.
        fn open(&self, gate: String) -> pime::Result<()>;
    }

    /// The implementation: `nest` calls back into the broker; the gates are
    /// [`open_gate`] / [`wait_gate`]'s.
    pub struct Impl;

    impl NestApp for Impl {
        async fn nest(&self, depth: u32, mode: String) -> pime::Result<String> {
            let command = if mode == "sync" || mode == "alt" {
                "nested"
            } else {
                "nested_async"
            };
            let inner = pime::call(task(
                command,
                &[("depth", Value::U32(depth)), ("mode", s(&mode))],
            ))
            .await?;
            match inner {
                Some(Value::String(text)) => Ok(format!("{depth}/{text}")),
                other => Err(pime::Error::new(
                    ErrorKind::UnpackError,
                    format!("{other:?}"),
                )),
            }
        }
        async fn wait(&self, gate: String) -> pime::Result<()> {
            wait_gate(&gate).await;
            Ok(())
        }
        fn open(&self, gate: String) -> pime::Result<()> {
            open_gate(&gate);
            Ok(())
        }
    }

    /// What `nested` of `depth` returns: `"{depth - 1}/.../1/0/bottom"`.
    pub fn expected(depth: u32) -> Value {
        let mut text = String::from("bottom");
        for level in 0..depth {
            text = format!("{level}/{text}");
        }
        s(&text)
    }

    /// `pime::call` of `command`, failing the test when it takes longer than 20 s.
    pub async fn call(command: &str, params: &[(&str, Value)]) -> pime::Result<Option<Value>> {
        call_within(20, command, params).await
    }

    /// Starts an engine serving `adversarial_host_nest` with this host module,
    /// configured by `configure` (the pool, the stop timeout, ...).
    pub async fn start(
        configure: impl FnOnce(pime::EngineBuilder) -> pime::EngineBuilder,
    ) -> pime::Engine {
        launch("adversarial_host_nest", |b| {
            configure(b).host(NestAppHost::new(Impl))
        })
        .await
    }
}

/// The `stop_app` host module the broker `adversarial_host_stop` calls (tests
/// `adversarial_host_stop`, `_threads`, `_cancel`): host calls that never end, and
/// counters of how many started and how many of their futures were dropped.
pub mod stop_app {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::launch_host;

    #[pime::host_module(module = "stop_app")]
    pub trait StopApp {
        /// Never ends; counts itself in `DROPPED` when its future is dropped.
        async fn forever(&self) -> pime::Result<()>;
        fn version(&self) -> pime::Result<String>;
        async fn context_keys(&self) -> pime::Result<Vec<String>>;
        async fn slow_echo(&self, text: String) -> pime::Result<String>;
        /// Calls the broker's `quick` command.
        async fn call_quick(&self) -> pime::Result<String>;
        /// Never ends; panics when its future is dropped.
        async fn panics_when_dropped(&self) -> pime::Result<()>;
    }

    /// How many `forever` calls started (in this test process).
    pub static STARTED: AtomicUsize = AtomicUsize::new(0);
    /// How many `forever` futures were dropped (in this test process).
    pub static DROPPED: AtomicUsize = AtomicUsize::new(0);

    struct CountDrop;
    impl Drop for CountDrop {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, Ordering::SeqCst);
        }
    }

    struct PanicDrop;
    impl Drop for PanicDrop {
        fn drop(&mut self) {
            panic!("panic while the host future is dropped");
        }
    }

    /// The implementation; `version` returns its string.
    pub struct Impl(pub &'static str);

    impl StopApp for Impl {
        async fn forever(&self) -> pime::Result<()> {
            STARTED.fetch_add(1, Ordering::SeqCst);
            let _guard = CountDrop;
            std::future::pending::<()>().await;
            Ok(())
        }
        fn version(&self) -> pime::Result<String> {
            Ok(self.0.to_string())
        }
        async fn context_keys(&self) -> pime::Result<Vec<String>> {
            Ok(pime::context().into_keys().collect())
        }
        async fn slow_echo(&self, text: String) -> pime::Result<String> {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            Ok(text)
        }
        async fn call_quick(&self) -> pime::Result<String> {
            match pime::call(pime::PyTask::new0(pime::Value::String("quick".into()))).await? {
                Some(pime::Value::String(text)) => Ok(text),
                other => Ok(format!("{other:?}")),
            }
        }
        async fn panics_when_dropped(&self) -> pime::Result<()> {
            let _guard = PanicDrop;
            std::future::pending::<()>().await;
            Ok(())
        }
    }

    /// Starts an engine serving `adversarial_host_stop` with `Impl(version)`, on a
    /// pool of `min..=max`, with a stop timeout of `stop_seconds`.
    pub async fn start(pool: (u32, u32), stop_seconds: u64, version: &'static str) -> pime::Engine {
        launch_host(
            "adversarial_host_stop",
            pool,
            stop_seconds,
            StopAppHost::new(Impl(version)),
        )
        .await
    }
}
