//! Regression: `pime::wait_offline()` and `pime::stop()` wait for *their* launch to
//! go offline, not for the engine to be offline at some later moment.
//!
//! Both used to wait for the process-wide state to read "offline". When another launch
//! claimed the engine right after the one they waited for ended, the waiters woke up,
//! saw "starting" (or "online") and went on waiting — for the next launch's end. Now
//! every launch has a generation and a waiter resolves once its own generation is
//! offline, whatever starts after it.
//!
//! A relauncher thread launches the engine again the moment it is offline (a
//! `PySyncEngine` whose `launch` it calls in a loop: the next claim comes from the
//! same thread a few instructions after the previous launch went offline; while the
//! builder-started first engine runs it retries every 100 µs). For 20 rounds, a
//! `wait_offline()` future is polled once while the launch is online (it must be
//! pending) and the launch is stopped with `pime::stop()` from another task. The test
//! learns that the launch ended without the engine's state (the relauncher reports each
//! `launch` that returned; the first engine's handle resolves when its thread ends),
//! waits until the *next* launch is online, and only then polls the waiter again: it
//! must resolve at once (the old waiter saw "online" and kept waiting, so this failed
//! every round), and so must the stop. Finally, with no engine left, `wait_offline()`
//! is ready at its first poll.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use pime::{ErrorKind, PySyncEngine};
use pime_tests::{assert_still_serving, start_with, within, PYTHON_DIR};
use pyo3::prelude::*;
use tokio::sync::mpsc;

const ROUNDS: usize = 20;

/// Polls `future` once; `Ready` or the still-pending future.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx))).await
}

/// Launches the engine again and again, as soon as it can, until `done`; reports each
/// launch that returned on `ended`; returns how many launches it ran.
fn relaunch_until(done: Arc<AtomicBool>, ended: mpsc::UnboundedSender<()>) -> usize {
    Python::attach(|py| {
        let engine = PySyncEngine::new(py).expect("a PySyncEngine");
        engine.add_import_path(PYTHON_DIR).unwrap();
        engine.set_thread_pool_size(1, 1).unwrap();
        let broker = py
            .import("defect_broker")
            .and_then(|module| module.getattr("broker"))
            .expect("the broker imports");
        let mut launches = 0;
        while !done.load(Ordering::Acquire) {
            match engine.launch(py, &broker) {
                Ok(()) => {
                    launches += 1;
                    let _ = ended.send(());
                }
                // Another launch is online: try again in a moment, GIL released.
                Err(e) if e.kind == ErrorKind::PySyncEngineStateError => {
                    py.detach(|| std::thread::sleep(Duration::from_micros(100)))
                }
                Err(e) => panic!("launch failed: {e}"),
            }
        }
        launches
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_resolve_when_their_launch_ends_even_if_another_starts() {
    let first = within(
        30,
        "start",
        start_with("defect_broker", |builder| builder.thread_pool(1, 1)),
    )
    .await;
    let mut first = Some(first);
    let done = Arc::new(AtomicBool::new(false));
    let (ended, mut launch_ended) = mpsc::unbounded_channel();
    let relauncher = {
        let done = Arc::clone(&done);
        std::thread::Builder::new()
            .name("relauncher".into())
            .spawn(move || relaunch_until(done, ended))
            .unwrap()
    };

    for round in 0..ROUNDS {
        let last = round == ROUNDS - 1;
        within(30, "the launch goes online", pime::wait_online()).await;
        assert_still_serving().await;
        let mut waiter = Box::pin(pime::wait_offline());
        assert!(
            poll_once(&mut waiter).await.is_pending(),
            "round {round}: wait_offline() was ready while the engine is online"
        );
        if last {
            // The relauncher ends after this launch.
            done.store(true, Ordering::Release);
        }
        let stopper = tokio::spawn(pime::stop());
        // The launch ended (learnt without the engine's state) ...
        match first.take() {
            Some(first) => within(10, "the first engine's thread ends", first.wait())
                .await
                .expect("the first launch ended well"),
            None => within(10, "the relauncher's launch returns", launch_ended.recv())
                .await
                .expect("the relauncher reports"),
        }
        // ... and the next one is online: the waiter must resolve now all the same.
        if !last {
            within(30, "the next launch goes online", pime::wait_online()).await;
            assert!(pime::is_engine_started());
        }
        within(
            10,
            &format!("round {round}: wait_offline() of the launch that ended"),
            waiter,
        )
        .await;
        within(10, &format!("round {round}: stop"), stopper)
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("round {round}: stop failed: {e}"));
    }
    let launches = within(
        30,
        "the relauncher ends",
        tokio::task::spawn_blocking(move || relauncher.join()),
    )
    .await
    .unwrap()
    .expect("the relauncher did not panic");
    assert_eq!(
        launches,
        ROUNDS - 1,
        "every launch after the first is the relauncher's"
    );

    // Offline now: wait_offline is ready at once, stop says there is nothing to stop.
    assert!(!pime::is_engine_started());
    let mut offline = Box::pin(pime::wait_offline());
    assert!(
        poll_once(&mut offline).await.is_ready(),
        "wait_offline() is pending with no engine running"
    );
    let error = within(5, "stop with no engine", pime::stop())
        .await
        .expect_err("no engine to stop");
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError, "{error}");
}
