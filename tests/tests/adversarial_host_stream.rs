//! Adversarial: a host function that reads a *stream* (`pime::call_stream`) from the
//! plugin, called with the sync form on `.thread_pool(1, 1)` and `(2, 2)`. If the
//! generator ran on the waiting worker's own stack, it would pause when the reader (the
//! host function, below it on that stack) is 64 items behind, and neither could go on;
//! it must run on the worker started in the lent place.
//!
//! README: "A host function may call `pime::call` or a typed client ... nested calls
//! complete on `.thread_pool(1, 1)`"; streams: "backpressure (the generator pauses
//! while the caller is 64 items behind)".

use std::time::Instant;

use pime::{PyTask, Value};
use pime_tests::host_support::{answer, bounded, launch_host};
use pime_tests::task;

#[pime::host_module(module = "stream_app")]
pub trait StreamApp {
    /// Reads `rows(n)` to the end and returns how many items came.
    async fn collect(&self, n: u64) -> pime::Result<u64>;
}

struct Impl;

impl StreamApp for Impl {
    async fn collect(&self, n: u64) -> pime::Result<u64> {
        let mut params = std::collections::BTreeMap::new();
        params.insert("n".to_string(), Value::U64(n));
        let t = PyTask::new(Value::String("rows".into()), params);
        let mut stream = pime::call_stream(t).await?;
        let mut count = 0;
        while let Some(item) = stream.next().await {
            item?;
            count += 1;
        }
        Ok(count)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_reads_a_stream_from_a_sync_call() {
    let mut problems = Vec::new();
    for (min, max) in [(1, 1), (2, 2)] {
        let engine = launch_host(
            "adversarial_host_stream",
            (min, max),
            2,
            StreamAppHost::new(Impl),
        )
        .await;
        for command in ["collect_async", "collect_sync"] {
            for n in [10_u64, 63, 200, 5000] {
                let what = format!("pool({min},{max}) {command} n={n}");
                let started = Instant::now();
                let got = answer(10, pime::call(task(command, &[("n", Value::U64(n))]))).await;
                eprintln!("{what}: {got:?} in {:?}", started.elapsed());
                match got {
                    Ok(Ok(Some(v))) if v == Value::I64(n as i64) => {}
                    Err(hang) => {
                        problems.push(format!("{what}: {hang}"));
                        break;
                    }
                    other => problems.push(format!("{what}: {other:?}")),
                }
            }
        }
        bounded("stop", 10, engine.stop()).await.ok();
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
