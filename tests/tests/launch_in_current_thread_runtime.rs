//! The engine runs inside a `current_thread` tokio runtime: launched with the
//! low-level `PySyncEngine::launch` on the runtime's blocking pool (`spawn_blocking`),
//! then with the builder. While 300 ms Python calls run — sleeping or spinning in pure
//! Python, pooled or exclusive — a 1 ms tokio interval on the runtime's only thread
//! keeps ticking: no PIME call ever blocks that thread or takes the GIL on it.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use pime::{PySyncEngine, PyTask, Value};
use pime_tests::{s, task, within, PYTHON_DIR};
use pyo3::prelude::*;
use tokio::time::MissedTickBehavior;

const CALL_SECONDS: f64 = 0.3;
/// Ticks seen during a call, as a share of the milliseconds it took. Undisturbed, a
/// 1 ms interval ticks 0.95 to 1.0 times per ms here, and 0.7 with both cores busy
/// with other work; a thread blocked by the call would give ~0. A quarter leaves room
/// for a loaded 2-core machine.
const MIN_TICK_SHARE: f64 = 0.25;
/// The longest gap between two ticks we accept during a call: a thread blocked by the
/// call would show a gap of the whole 300 ms; the scheduler of a loaded 2-core machine
/// was seen to cause gaps of up to 90 ms.
const MAX_GAP: Duration = Duration::from_millis(150);

/// Counts ticks of a 1 ms interval and the longest gap between two ticks.
#[derive(Default)]
struct Ticks {
    count: Cell<u64>,
    longest_gap: Cell<Duration>,
}

fn start_ticking() -> Rc<Ticks> {
    let ticks = Rc::new(Ticks::default());
    let counter = Rc::clone(&ticks);
    tokio::task::spawn_local(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(1));
        // Delay, not Burst: a late tick must not be made up for by a burst of ticks.
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = Instant::now();
        loop {
            interval.tick().await;
            let now = Instant::now();
            counter.count.set(counter.count.get() + 1);
            counter
                .longest_gap
                .set(counter.longest_gap.get().max(now - last));
            last = now;
        }
    });
    ticks
}

/// Runs `long` and checks the interval kept ticking meanwhile.
async fn ticks_through(ticks: &Ticks, label: &str, long: PyTask) {
    // Let the ticker run once so the gap measured starts now.
    tokio::task::yield_now().await;
    ticks.longest_gap.set(Duration::ZERO);
    let before = ticks.count.get();
    let started = Instant::now();
    let outcome = within(10, label, pime::call(long)).await;
    let took = started.elapsed();
    let counted = ticks.count.get() - before;
    let gap = ticks.longest_gap.get();
    assert!(outcome.is_ok(), "{label}: {outcome:?}");
    assert!(
        took >= Duration::from_secs_f64(CALL_SECONDS),
        "{label} returned after {took:?}"
    );
    let share = counted as f64 / took.as_secs_f64() / 1000.0;
    eprintln!("{label}: {counted} ticks in {took:?} ({share:.2} per ms), longest gap {gap:?}");
    assert!(
        share >= MIN_TICK_SHARE,
        "{label}: only {counted} ticks of a 1 ms interval in {took:?}"
    );
    assert!(gap <= MAX_GAP, "{label}: the interval stalled for {gap:?}");
}

async fn long_calls(ticks: &Ticks, how: &str) {
    for command in ["sleep", "spin"] {
        for exclusive in [false, true] {
            let mut long = task(command, &[("seconds", Value::F64(CALL_SECONDS))]);
            if exclusive {
                long.mark_exclusive();
            }
            let label = format!("{how}: {command}, exclusive {exclusive}");
            ticks_through(ticks, &label, long).await;
        }
    }
}

#[test]
fn launch_inside_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // If a PIME call ever blocked the runtime's only thread, no tokio timeout could
    // fire: a watchdog thread turns that hang into a failure.
    let (finished, watchdog) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            watchdog.recv_timeout(Duration::from_secs(120))
        {
            eprintln!("the current_thread runtime hung for 120 s");
            std::process::abort();
        }
    });
    let local = tokio::task::LocalSet::new();
    // On a failed assertion, do not wait for the engine thread when the runtime drops
    // (it runs on the runtime's blocking pool until stopped): fail, never hang.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        local.block_on(&runtime, run())
    }));
    drop(local);
    runtime.shutdown_timeout(Duration::from_secs(1));
    drop(finished);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn run() {
    let ticks = start_ticking();

    // The low-level API on the runtime's blocking pool.
    let launched = tokio::task::spawn_blocking(|| {
        Python::attach(|py| {
            let engine = PySyncEngine::new(py)?;
            engine.add_import_path(PYTHON_DIR)?;
            engine.set_thread_pool_size(2, 2)?;
            let broker = py
                .import("long_calls")
                .and_then(|module| module.getattr("broker"))
                .expect("long_calls loads");
            engine.launch(py, &broker)
        })
    });
    within(30, "online", pime::wait_online()).await;
    long_calls(&ticks, "spawn_blocking launch").await;
    within(30, "stop", pime::stop()).await.unwrap();
    let launched = within(30, "launch returns", launched).await.unwrap();
    assert_eq!(launched, Ok(()));

    // The builder from the same single-threaded runtime.
    let engine = within(
        30,
        "builder start",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .thread_pool(2, 2)
            .broker("long_calls", "broker")
            .start(),
    )
    .await
    .expect("the builder starts from a current_thread runtime");
    long_calls(&ticks, "builder").await;
    let echoed = within(10, "echo", pime::call(task("echo", &[("value", s("x"))]))).await;
    assert_eq!(echoed, Ok(Some(s("x"))));
    within(30, "builder stop", engine.stop()).await.unwrap();
}
