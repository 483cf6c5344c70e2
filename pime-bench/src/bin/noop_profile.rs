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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let pool = match (arguments.next().as_deref(), arguments.next()) {
        (None, _) => None,
        (Some("--pool"), Some(n)) => Some(n.parse::<u32>()?),
        (Some("--hop"), None) => return runtime.block_on(hop(false)),
        (Some("--hop-python"), None) => return runtime.block_on(hop(true)),
        _ => return Err("usage: noop_profile [--pool N | --hop]".into()),
    };
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
        let seq_calls: usize = std::env::var("NOOP_SEQ").ok().and_then(|v| v.parse().ok()).unwrap_or(SEQUENTIAL_CALLS);
        for _ in 0..seq_calls {
            pime::call(noop()).await?;
        }
        let sequential = started.elapsed();
        println!(
            "{CONCURRENT_CALLS} calls, {IN_FLIGHT} in flight: {:.0} calls/s; {SEQUENTIAL_CALLS} sequential: {:.2} µs each",
            CONCURRENT_CALLS as f64 / concurrent.as_secs_f64(),
            sequential.as_secs_f64() * 1e6 / SEQUENTIAL_CALLS as f64
        );
        // Saturating: a thread that ended meanwhile takes its time with it.
        let used = |kind: &str| {
            let (after, before) = (cpu.get(kind).copied(), cpu_before.get(kind).copied());
            let (after, before) = (after.unwrap_or_default(), before.unwrap_or_default());
            (after.0.saturating_sub(before.0), after.1.saturating_sub(before.1))
        };
        let per_call = |kind: &str| used(kind).0 as f64 / CONCURRENT_CALLS as f64;
        let switches = |kind: &str| used(kind).1 as f64 * 1000.0 / CONCURRENT_CALLS as f64;
        println!(
            "CPU per call with {IN_FLIGHT} in flight: pool workers {:.0} ns, callers' tokio threads {:.0} ns, engine thread {:.0} ns",
            per_call("pime-worker"),
            per_call("tokio-rt-worker"),
            per_call("pime-engine"),
        );
        println!(
            "times a thread was switched in, per 1,000 calls: pool workers {:.1}, callers' tokio threads {:.1}",
            switches("pime-worker"),
            switches("tokio-rt-worker"),
        );
        engine.stop().await?;
        Ok(())
    })
}

/// CPU time (ns, from `/proc/self/task/*/schedstat`) of this process's threads so far,
/// summed by name with any `-N` suffix cut: the pool's workers, the tokio runtime's
/// threads, the engine thread. Per-call CPU on each side moves far less from run to
/// run than throughput, which depends on how the threads happen to share the cores.
fn cpu_by_thread_kind() -> HashMap<String, (u64, u64)> {
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
        let stat = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        let mut fields = stat.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
        let (ns, slices) = (fields.next().unwrap_or(0), fields.nth(1).unwrap_or(0));
        let entry: &mut (u64, u64) = by_kind.entry(kind.to_string()).or_default();
        entry.0 += ns;
        entry.1 += slices;
    }
    by_kind
}

async fn hop(python: bool) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use pyo3::prelude::*;
    let (requests, mut incoming) = tokio::sync::mpsc::unbounded_channel::<(BTreeMap<String, Value>, tokio::sync::oneshot::Sender<()>)>();
    let thread = std::thread::Builder::new().name("bench-hop".into()).spawn(move || {
        if !python {
            while let Some((_, reply)) = incoming.blocking_recv() {
                let _ = reply.send(());
            }
            return;
        }
        Python::attach(|py| {
            let sys_path = py.import("sys").unwrap().getattr("path").unwrap();
            sys_path.call_method1("insert", (0, PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python").to_string_lossy().into_owned())).unwrap();
            let broker = py.import("benchmod").unwrap().getattr("broker").unwrap();
            loop {
                let (params, reply) = match incoming.try_recv() {
                    Ok(m) => m,
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => match py.detach(|| incoming.blocking_recv()) {
                        Some(m) => m,
                        None => return,
                    },
                    Err(_) => return,
                };
                let dict = pyo3::types::PyDict::new(py);
                for (k, v) in &params {
                    if let Value::I64(n) = v { dict.set_item(k, n).unwrap(); }
                }
                let result = broker.call1(("noop", dict)).unwrap();
                assert!(result.is_none());
                let _ = reply.send(());
            }
        })
    })?;
    let cpu_before = cpu_by_thread_kind();
    let started = Instant::now();
    let mut lanes = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let requests = requests.clone();
        lanes.spawn(async move {
            for _ in 0..CONCURRENT_CALLS / IN_FLIGHT {
                let (reply, answer) = tokio::sync::oneshot::channel();
                let params = BTreeMap::from([("n".to_string(), Value::I64(1))]);
                requests.send((params, reply)).map_err(|_| "hop gone")?;
                answer.await?;
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
    }
    while let Some(lane) = lanes.join_next().await {
        lane??;
    }
    let elapsed = started.elapsed();
    let cpu = cpu_by_thread_kind();
    let used = |kind: &str| {
        let (after, before) = (cpu.get(kind).copied(), cpu_before.get(kind).copied());
        let (after, before) = (after.unwrap_or_default(), before.unwrap_or_default());
        (after.0.saturating_sub(before.0), after.1.saturating_sub(before.1))
    };
    println!("hop: {:.0} calls/s; CPU per call: hop thread {:.0} ns, tokio {:.0} ns; switches per 1000: {:.1} / {:.1}",
        CONCURRENT_CALLS as f64 / elapsed.as_secs_f64(),
        used("bench-hop").0 as f64 / CONCURRENT_CALLS as f64,
        used("tokio-rt-worker").0 as f64 / CONCURRENT_CALLS as f64,
        used("bench-hop").1 as f64 * 1000.0 / CONCURRENT_CALLS as f64,
        used("tokio-rt-worker").1 as f64 * 1000.0 / CONCURRENT_CALLS as f64);
    drop(requests);
    let _ = thread.join();
    Ok(())
}
