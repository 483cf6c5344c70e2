//! A no-op call and nothing else, for a profiler: PIME's default pool, pooled no-op
//! calls, first with 1,000 in flight, then one at a time. Every thread it runs is
//! PIME's (`pime-worker-N`, `pime-engine`) or the callers' tokio runtime, so a
//! profile of it is the profile of a no-op call.
//!
//! ```text
//! cargo build --release -p pime-bench --bin noop_profile
//! perf record -F 2000 -g target/release/noop_profile
//! perf report --sort comm,dso,symbol
//! target/release/noop_profile --pool 100   # a pool of 100 workers, all started
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use pime::{PyTask, Value};

const IN_FLIGHT: usize = 1_000;
const CONCURRENT_CALLS: usize = 1_000_000;
const SEQUENTIAL_CALLS: usize = 100_000;

fn noop() -> PyTask {
    PyTask::new(
        Value::String("noop".into()),
        BTreeMap::from([("n".to_string(), Value::I64(1))]),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut arguments = std::env::args().skip(1);
    let pool = match (arguments.next().as_deref(), arguments.next()) {
        (None, _) => None,
        (Some("--pool"), Some(n)) => Some(n.parse::<u32>()?),
        _ => return Err("usage: noop_profile [--pool N]".into()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut builder = pime::Engine::builder()
            .import_path(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python"))
            .broker("benchmod", "broker");
        if let Some(n) = pool {
            builder = builder.thread_pool(n, n);
        }
        let engine = builder.start().await?;
        let cpu_before = cpu_by_thread_kind();
        let started = Instant::now();
        let mut lanes = tokio::task::JoinSet::new();
        for _ in 0..IN_FLIGHT {
            lanes.spawn(async {
                for _ in 0..CONCURRENT_CALLS / IN_FLIGHT {
                    pime::call(noop()).await?;
                }
                Ok::<(), pime::Error>(())
            });
        }
        while let Some(lane) = lanes.join_next().await {
            lane??;
        }
        let concurrent = started.elapsed();
        let cpu = cpu_by_thread_kind();
        let started = Instant::now();
        for _ in 0..SEQUENTIAL_CALLS {
            pime::call(noop()).await?;
        }
        let sequential = started.elapsed();
        println!(
            "{CONCURRENT_CALLS} calls, {IN_FLIGHT} in flight: {:.0} calls/s; {SEQUENTIAL_CALLS} sequential: {:.2} µs each",
            CONCURRENT_CALLS as f64 / concurrent.as_secs_f64(),
            sequential.as_secs_f64() * 1e6 / SEQUENTIAL_CALLS as f64
        );
        let per_call = |kind: &str| {
            // Saturating: a thread that ended meanwhile takes its time with it.
            let ns = cpu
                .get(kind)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cpu_before.get(kind).copied().unwrap_or(0));
            ns as f64 / CONCURRENT_CALLS as f64
        };
        println!(
            "CPU per call with {IN_FLIGHT} in flight: pool workers {:.0} ns, callers' tokio threads {:.0} ns, engine thread {:.0} ns",
            per_call("pime-worker"),
            per_call("tokio-rt-worker"),
            per_call("pime-engine"),
        );
        engine.stop().await?;
        Ok(())
    })
}

/// CPU time (ns, from `/proc/self/task/*/schedstat`) of this process's threads so far,
/// summed by name with any `-N` suffix cut: the pool's workers, the tokio runtime's
/// threads, the engine thread. Per-call CPU on each side moves far less from run to
/// run than throughput, which depends on how the threads happen to share the cores.
fn cpu_by_thread_kind() -> HashMap<String, u64> {
    let mut by_kind = HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return by_kind;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let name = name.trim();
        let kind = match name.rsplit_once('-') {
            Some((kind, n)) if n.chars().all(|c| c.is_ascii_digit()) => kind,
            _ => name,
        };
        let ns = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        *by_kind.entry(kind.to_string()).or_default() += ns;
    }
    by_kind
}
