//! Adversarial: how deep "at any depth" goes - sync host calls nested 50..3200 levels
//! on `.thread_pool(1, 1)` (each level's worker lends its place to the next), then
//! async ones. (Before nested tasks were admitted at once, depth 1,100 hung: more tasks
//! than the default bound, queue capacity 1024 + 1 worker; see
//! `adversarial_host_capacity.rs`.)
//!
//! README, "Host modules": "A pool worker waiting in a sync host call lends its place
//! in the pool: while it waits, another worker may start beyond `max` ... so nested
//! calls complete on `.thread_pool(1, 1)`, at any depth. The waiting thread runs
//! nothing else meanwhile".

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::host_support::bounded;
use pime_tests::host_support::nest_app::{self, call, expected};
use pime_tests::s;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn very_deep_nesting_on_a_pool_of_one() {
    let engine =
        nest_app::start(|b| b.thread_pool(1, 1).stop_timeout(Duration::from_secs(5))).await;
    let mut problems = Vec::new();
    let only = std::env::var("ADV_MODE").ok();
    for (command, mode) in [("nested", "sync"), ("nested_async", "async")] {
        if only.as_deref().is_some_and(|m| m != mode) {
            continue;
        }
        let depths: Vec<u32> = std::env::var("ADV_DEPTHS")
            .map(|v| v.split(',').map(|d| d.parse().unwrap()).collect())
            .unwrap_or_else(|_| vec![50, 100, 200, 400, 800, 1600, 3200]);
        for depth in depths.iter().copied() {
            eprintln!("{command} depth {depth} ...");
            let started = Instant::now();
            let got = call(command, &[("depth", Value::U32(depth)), ("mode", s(mode))]).await;
            eprintln!(
                "  -> {:?} in {:?}",
                got.as_ref().map(|v| v.as_ref().map(|_| "a string")),
                started.elapsed()
            );
            if got != Ok(Some(expected(depth))) {
                let shown = match &got {
                    Err(e) => format!(
                        "{:?}: {}",
                        e.kind,
                        e.message.chars().take(300).collect::<String>()
                    ),
                    Ok(v) => format!("{:?}", v).chars().take(300).collect(),
                };
                problems.push(format!("{command} depth {depth}: {shown}"));
                break;
            }
        }
    }
    let alive = call("quick", &[]).await;
    assert_eq!(alive, Ok(Some(s("quick"))));
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
