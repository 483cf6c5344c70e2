//! Adversarial: host calls from exclusive tasks (which hold the engine thread) that send
//! exclusive / `no_wait` exclusive / timed exclusive tasks, from sync and async
//! commands; then an exclusive task stuck in a host call that never ends, and
//! `stop()` with a stop timeout.
//!
//! README: "A task that needs the engine thread ... sent from a sync host call that
//! the engine thread itself is waiting for ... is refused with an `ExecError` instead
//! of waiting forever." Matrix: "stop with a stop timeout: returns by the deadline
//! ... (also while an exclusive broker holds the engine thread)".

use std::time::{Duration, Instant};

use pime::{PyTask, Value};
use pime_tests::host_support::{answer, bounded, call_within, launch_host};
use pime_tests::{s, task};

#[pime::host_module(module = "excl_app")]
pub trait ExclApp {
    async fn send(&self, exclusive: bool, no_wait: bool, timeout_ms: u64) -> pime::Result<String>;
    async fn forever(&self) -> pime::Result<()>;
}

struct Impl;

impl ExclApp for Impl {
    async fn send(&self, exclusive: bool, no_wait: bool, timeout_ms: u64) -> pime::Result<String> {
        let mut t = PyTask::new0(s("leaf"));
        if exclusive {
            t.mark_exclusive();
        }
        if no_wait {
            t.no_wait();
        }
        if timeout_ms > 0 {
            t.set_timeout(Duration::from_millis(timeout_ms));
        }
        Ok(format!("{:?}", pime::call(t).await?))
    }
    async fn forever(&self) -> pime::Result<()> {
        std::future::pending::<()>().await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_tasks_and_host_calls() {
    let engine = launch_host(
        "adversarial_host_exclusive",
        (1, 1),
        2,
        ExclAppHost::new(Impl),
    )
    .await;
    let mut problems = Vec::new();
    for outer_exclusive in [false, true] {
        for command in ["send", "send_async"] {
            for (exclusive, no_wait, timeout_ms) in [
                (true, false, 0),
                (true, true, 0),
                (true, false, 500),
                (false, true, 0),
                (false, false, 500),
            ] {
                let mut t = task(
                    command,
                    &[
                        ("exclusive", Value::Bool(exclusive)),
                        ("no_wait", Value::Bool(no_wait)),
                        ("timeout_ms", Value::U64(timeout_ms)),
                    ],
                );
                if outer_exclusive {
                    t.mark_exclusive();
                }
                let what = format!(
                    "{}{command} -> inner exclusive={exclusive} no_wait={no_wait} timeout={timeout_ms}ms",
                    if outer_exclusive { "exclusive " } else { "" }
                );
                let started = Instant::now();
                match answer(10, pime::call(t)).await {
                    Err(hang) => {
                        problems.push(format!("{what}: {hang}"));
                        break;
                    }
                    Ok(outcome) => {
                        let took = started.elapsed();
                        eprintln!("{what}: {outcome:?} ({took:?})");
                        let text = match &outcome {
                            Ok(Some(Value::String(t))) => t.clone(),
                            other => format!("{other:?}"),
                        };
                        let fine = text == "Some(String(\"leaf\"))"
                            || text == "None"
                            || text.contains("needs the engine thread");
                        if !fine || took > Duration::from_secs(2) {
                            problems.push(format!("{what}: {text} after {took:?}"));
                        }
                    }
                }
            }
        }
    }
    let alive = call_within(10, "leaf", &[]).await;
    assert_eq!(alive, Ok(Some(s("leaf"))));

    // An exclusive task stuck in a never-ending sync host call; stop with a timeout.
    let mut stuck = task("forever", &[]);
    stuck.mark_exclusive();
    let stuck = pime_tests::spawn_sent(stuck).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let stopped = answer(10, engine.stop()).await;
    let took = started.elapsed();
    eprintln!("stop with the engine thread in a host call: {stopped:?} after {took:?}");
    if !matches!(stopped, Ok(Ok(()))) || took > Duration::from_secs(4) {
        problems.push(format!(
            "stop (stop_timeout 2 s) while an exclusive task waits in a host call: {stopped:?} after {took:?}"
        ));
    }
    match answer(5, stuck).await {
        Ok(outcome) => eprintln!("stuck caller: {outcome:?}"),
        Err(_) => problems.push("the stuck exclusive caller got no answer 5 s after stop".into()),
    }
    // Relaunch while the old engine thread is still stuck in that host call.
    let relaunched = answer(
        20,
        pime::Engine::builder()
            .import_path(pime_tests::PYTHON_DIR)
            .broker("adversarial_host_exclusive", "broker")
            .thread_pool(1, 1)
            .stop_timeout(Duration::from_secs(2))
            .host(ExclAppHost::new(Impl))
            .start(),
    )
    .await;
    match relaunched {
        Err(_) => problems.push("relaunch after a stuck exclusive host call: start() hangs".into()),
        Ok(Err(error)) => problems.push(format!(
            "relaunch after a stuck exclusive host call: {error}"
        )),
        Ok(Ok(engine)) => {
            for exclusive in [false, true] {
                let mut t = task("leaf", &[]);
                if exclusive {
                    t.mark_exclusive();
                }
                match answer(10, pime::call(t)).await {
                    Ok(Ok(Some(v))) if v == s("leaf") => {}
                    other => {
                        problems.push(format!("relaunched, leaf exclusive={exclusive}: {other:?}"))
                    }
                }
            }
            bounded("stop 2", 20, engine.stop()).await.ok();
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
