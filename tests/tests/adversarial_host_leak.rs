//! Adversarial: leaks on the host call paths - 20,000 rounds of sync and `aio` calls
//! with a payload, an argument that does not convert, an unknown keyword and a
//! `HostError`, twice; Python objects (`gc.get_objects()`) and resident memory must be
//! flat between the second and third rounds.
//!
//! README, Guarantees: "Bounded memory ... resident memory stays flat"; "5,000 random
//! drops leak no Python objects".

use pime::Value;
use pime_tests::host_support::{bounded, call_within, launch};

#[pime::host_module(module = "leak_app")]
pub trait LeakApp {
    fn echo(&self, v: Value) -> pime::Result<Value>;
    async fn fail(&self, message: String) -> pime::Result<()>;
}

struct Impl;

impl LeakApp for Impl {
    fn echo(&self, v: Value) -> pime::Result<Value> {
        Ok(v)
    }
    async fn fail(&self, message: String) -> pime::Result<()> {
        Err(pime::Error::new(pime::ErrorKind::ExecError, message))
    }
}

async fn round(command: &str, n: u64) -> i64 {
    match call_within(240, command, &[("n", Value::U64(n))]).await {
        Ok(Some(Value::I64(objects))) => objects,
        other => panic!("{command}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_call_paths_do_not_leak() {
    let engine = launch("adversarial_host_leak", |b| {
        b.thread_pool(1, 1).host(LeakAppHost::new(Impl))
    })
    .await;
    let mut problems = Vec::new();
    for command in ["sync_round", "aio_round"] {
        round(command, 5_000).await;
        let objects_1 = round(command, 10_000).await;
        let rss_1 = pime_tests::resident_mib();
        let objects_2 = round(command, 10_000).await;
        let rss_2 = pime_tests::resident_mib();
        eprintln!(
            "{command}: objects {objects_1} -> {objects_2}, rss {rss_1:.1} -> {rss_2:.1} MiB"
        );
        if objects_2 - objects_1 > 100 {
            problems.push(format!(
                "{command}: Python objects grew {objects_1} -> {objects_2} over 10,000 rounds"
            ));
        }
        if rss_2 - rss_1 > 4.0 {
            problems.push(format!(
                "{command}: resident memory grew {rss_1:.1} -> {rss_2:.1} MiB over 10,000 rounds"
            ));
        }
    }
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
