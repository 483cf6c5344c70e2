//! Adversarial: a host function that calls `pime::reload()` (from a pooled sync call,
//! an exclusive sync call - which holds the engine thread - and `aio`), and one that
//! awaits `pime::stop()` of the engine running it (with a stop timeout).
//!
//! README: "A host function may call `pime::call` or a typed client"; a task that needs
//! the engine thread from a sync host call of an exclusive task "is refused with an
//! `ExecError` instead of waiting forever"; hot reload: "tasks already running finish
//! on the old function".

use std::time::Instant;

use pime::Value;
use pime_tests::host_support::{answer, launch_host};
use pime_tests::task;

#[pime::host_module(module = "admin_app")]
pub trait AdminApp {
    async fn reload(&self) -> pime::Result<String>;
    async fn stop(&self) -> pime::Result<String>;
}

struct Impl;

impl AdminApp for Impl {
    async fn reload(&self) -> pime::Result<String> {
        pime::reload().await?;
        Ok("reloaded".into())
    }
    async fn stop(&self) -> pime::Result<String> {
        pime::stop().await?;
        Ok("stopped".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_functions_that_reload_or_stop_the_engine() {
    let start = || launch_host("adversarial_host_admin", (1, 2), 2, AdminAppHost::new(Impl));
    let mut engine = start().await;
    let mut problems = Vec::new();
    for (command, exclusive) in [
        ("reload_via_host", false),
        ("reload_via_host_async", false),
        ("reload_via_host_async", true),
        ("reload_via_host", true),
    ] {
        let before = answer(5, pime::call(task("loads", &[]))).await;
        let mut t = task(command, &[]);
        if exclusive {
            t.mark_exclusive();
        }
        let what = format!("{}{command}", if exclusive { "exclusive " } else { "" });
        let got = answer(10, pime::call(t)).await;
        let after = answer(5, pime::call(task("loads", &[]))).await;
        eprintln!("{what}: {got:?} (loads {before:?} -> {after:?})");
        let fine = match &got {
            Ok(Ok(Some(Value::String(text)))) => {
                text == "reloaded"
                    || text.contains("engine thread")
                    || text.starts_with("HostError")
            }
            _ => false,
        };
        if !fine {
            problems.push(format!("{what}: {got:?}"));
            let stopped = answer(10, engine.stop()).await;
            eprintln!("stop after that: {stopped:?}");
            engine = start().await;
        }
    }

    // A host function awaiting the stop of the engine that runs it.
    let started = Instant::now();
    let got = answer(15, pime::call(task("stop_via_host", &[]))).await;
    eprintln!("stop_via_host: {got:?} after {:?}", started.elapsed());
    let offline = answer(10, pime::wait_offline()).await;
    if offline.is_err() {
        problems.push(format!(
            "stop_via_host: the engine is not offline 10 s later (caller: {got:?})"
        ));
    }
    let _ = engine;
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
