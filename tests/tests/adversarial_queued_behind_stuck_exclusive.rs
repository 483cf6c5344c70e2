//! An exclusive task and a reload queued behind an exclusive broker that still holds the
//! engine thread when the stop timeout passes. README (Limitations): such a queued
//! exclusive task "gets its error only when the engine thread is free again"; Stop:
//! "tasks sent after get an error", and nothing of a stopped launch may act on the next
//! one. So once stop() returned and a new launch started, neither the queued exclusive
//! task nor the queued reload may run: both callers get an error and the module is
//! not re-executed under the new launch.

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{s, spawn_sent, start_with, task, within};

async fn start() -> pime::Engine {
    within(
        30,
        "start",
        start_with("adversarial_broker", |b| {
            b.thread_pool(1, 2).stop_timeout(Duration::from_millis(300))
        }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_queued_runs_after_stop() {
    let engine = start().await;
    let mut ex = task("sleep", &[("tag", s("ex")), ("seconds", Value::F64(1.5))]);
    ex.mark_exclusive();
    let ex_caller = spawn_sent(ex).await;
    within(
        10,
        "started",
        pime::call(task("wait_started", &[("tag", s("ex"))])),
    )
    .await
    .unwrap();
    let mut queued = task(
        "sleep",
        &[("tag", s("queued")), ("seconds", Value::F64(0.0))],
    );
    queued.mark_exclusive();
    let queued_caller = spawn_sent(queued).await;
    let reloading = tokio::spawn(pime::reload());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let loads_before = within(10, "loads", pime::call(task("loads", &[])))
        .await
        .unwrap();
    let stopping = Instant::now();
    within(10, "stop", engine.stop()).await.unwrap();
    eprintln!("stop returned after {:?}", stopping.elapsed());
    let engine = start().await;
    within(
        10,
        "old ex done",
        pime::call(task(
            "wait_done",
            &[("tag", s("ex")), ("timeout", Value::F64(5.0))],
        )),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let queued_result = within(10, "queued caller", queued_caller).await.unwrap();
    let reload_result = within(10, "reload caller", reloading).await.unwrap();
    let _ = within(10, "ex caller", ex_caller).await;
    let queued_ran = within(
        10,
        "started",
        pime::call(task("started", &[("tag", s("queued"))])),
    )
    .await
    .unwrap();
    let loads_after = within(10, "loads", pime::call(task("loads", &[])))
        .await
        .unwrap();
    eprintln!("queued exclusive: {queued_result:?}, ran {queued_ran:?} times; reload: {reload_result:?}; loads {loads_before:?} -> {loads_after:?}");
    within(10, "stop 2", engine.stop()).await.unwrap();
    let mut problems = Vec::new();
    if queued_result.is_ok() {
        problems.push(format!(
            "the queued exclusive task answered {queued_result:?}"
        ));
    }
    if queued_ran != Some(Value::I64(0)) {
        problems.push(format!(
            "the queued exclusive task ran after stop ({queued_ran:?} times)"
        ));
    }
    if reload_result.is_ok() {
        problems.push(format!("the queued reload answered {reload_result:?}"));
    }
    if loads_after != loads_before {
        problems.push(format!(
            "the module was re-executed after stop: loads {loads_before:?} -> {loads_after:?}"
        ));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
