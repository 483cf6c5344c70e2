//! Adversarial: cancelling `aio` host calls - by dropping the Rust caller, 10,000
//! times in a loop, before the loop ever ran them, by `asyncio.wait_for`, by never
//! awaiting the awaitable - and a host future that panics while it is dropped.
//!
//! README: "an `aio` call spawns it and gives the event loop an awaitable, and
//! cancelling the awaitable drops the Rust future." Async commands: "Dropping the Rust
//! future cancels the asyncio task".

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{s, task};

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;

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

pub static STARTED: AtomicUsize = AtomicUsize::new(0);
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

async fn bounded<T>(what: &str, seconds: u64, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {seconds} s (hang)"))
}

async fn settle(expected_dropped: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    while DROPPED.load(Ordering::SeqCst) < expected_dropped && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    DROPPED.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_aio_host_calls() {
    let engine = pime_tests::start_with("adversarial_host_stop", |b| {
        b.thread_pool(1, 1)
            .stop_timeout(Duration::from_secs(3))
            .host(StopAppHost::new(Impl("v")))
    })
    .await;
    let mut problems = Vec::new();

    // 1. Dropping the Rust caller of an async command awaiting an aio host call.
    let caller = tokio::spawn(pime::call(task("forever_async", &[])));
    let deadline = Instant::now() + Duration::from_secs(5);
    while STARTED.load(Ordering::SeqCst) < 1 {
        assert!(Instant::now() < deadline, "forever started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    caller.abort();
    let dropped = settle(1).await;
    if dropped != 1 {
        problems.push(format!(
            "dropped Rust caller: host future dropped {dropped} of 1"
        ));
    }

    // 2. 10,000 cancels after one loop turn; memory and drops.
    let warm = bounded(
        "warm",
        60,
        pime::call(task("cancel_many", &[("n", Value::U64(1000))])),
    )
    .await;
    assert_eq!(warm, Ok(Some(Value::I64(1000))));
    let before_started = STARTED.load(Ordering::SeqCst);
    let before_mib = pime_tests::resident_mib();
    let started = Instant::now();
    let many = bounded(
        "cancel_many",
        120,
        pime::call(task("cancel_many", &[("n", Value::U64(10_000))])),
    )
    .await;
    eprintln!("10,000 cancels: {:?}", started.elapsed());
    assert_eq!(many, Ok(Some(Value::I64(10_000))));
    let total_started = STARTED.load(Ordering::SeqCst);
    let dropped = settle(total_started).await;
    let grew = pime_tests::resident_mib() - before_mib;
    eprintln!(
        "started {} (this round {}), dropped {dropped}, resident +{grew:.1} MiB",
        total_started,
        total_started - before_started
    );
    if dropped != total_started {
        problems.push(format!(
            "cancel_many: {total_started} host futures started, {dropped} dropped"
        ));
    }
    if grew > 8.0 {
        problems.push(format!(
            "cancel_many: resident memory grew {grew:.1} MiB over 10,000 cancels"
        ));
    }

    // 3. Cancelled before the loop ran them.
    let before = bounded(
        "cbs",
        60,
        pime::call(task("cancel_before_start", &[("n", Value::U64(1000))])),
    )
    .await;
    assert_eq!(before, Ok(Some(Value::I64(1000))));
    let started_now = STARTED.load(Ordering::SeqCst);
    let dropped = settle(started_now).await;
    if dropped != started_now {
        problems.push(format!(
            "cancel_before_start: started {started_now}, dropped {dropped}"
        ));
    }

    // 4. asyncio.wait_for timeout.
    let timed = bounded("timeout_aio", 10, pime::call(task("timeout_aio", &[]))).await;
    if timed != Ok(Some(s("timed out"))) {
        problems.push(format!("timeout_aio: {timed:?}"));
    }
    let started_now = STARTED.load(Ordering::SeqCst);
    let dropped = settle(started_now).await;
    if dropped != started_now {
        problems.push(format!(
            "wait_for: started {started_now}, dropped {dropped}"
        ));
    }

    // 5. Awaitables created and never awaited (garbage).
    let made = bounded(
        "aio_not_awaited",
        10,
        pime::call(task("aio_not_awaited", &[("n", Value::U64(100))])),
    )
    .await;
    assert_eq!(made, Ok(Some(Value::I64(100))));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started_now = STARTED.load(Ordering::SeqCst);
    let dropped = settle(started_now).await;
    eprintln!("never awaited: started {started_now}, dropped {dropped}");
    if dropped != started_now {
        problems.push(format!(
            "100 aio awaitables never awaited: {} host futures still running",
            started_now - dropped
        ));
    }

    // 6. A host future that panics while it is dropped by a cancel.
    let panicked = bounded("panic_in_drop", 10, pime::call(task("panic_in_drop", &[]))).await;
    eprintln!("panic_in_drop: {panicked:?}");
    if panicked != Ok(Some(s("cancelled"))) {
        problems.push(format!("panic_in_drop: {panicked:?}"));
    }
    let alive = bounded("alive", 10, pime::call(task("quick", &[]))).await;
    assert_eq!(alive, Ok(Some(s("v"))), "the engine still serves");

    let stats = pime::stats();
    if (stats.in_flight, stats.queued) != (0, 0) {
        problems.push(format!("stats after all: {stats:?}"));
    }
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
