//! A no-op call and nothing else, for a profiler: PIME's default pool, pooled no-op
//! calls, first with 1,000 in flight, then one at a time. Every thread it runs is
//! PIME's (`pime-worker-N`, `pime-engine`) or the callers' tokio runtime, so a
//! profile of it is the profile of a no-op call. It prints the CPU each side spent
//! per call, and how often its threads were switched in.
//!
//! ```text
//! cargo build --release -p pime-bench --bin noop_profile
//! perf record -F 2000 -g target/release/noop_profile
//! perf report --sort comm,dso,symbol
//! target/release/noop_profile --pool 100      # a pool of 100 workers, all started
//! target/release/noop_profile --sequential 0  # only the calls in flight
//! target/release/noop_profile --hop           # no PIME: the bare thread hop
//! target/release/noop_profile --hop-python    # no PIME: the hop + the floor's call
//! ```
//!
//! The two hops are the bench's (`pime-bench`'s pools rows) with the same calls in
//! flight, for the same CPU reading: what a design with nothing but a thread hop,
//! and with the hop and a Python call, costs each side.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pime::{PyTask, Value};
use pyo3::prelude::*;
use tokio::sync::{mpsc, oneshot};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const IN_FLIGHT: usize = 1_000;
const CONCURRENT_CALLS: usize = 1_000_000;
const SEQUENTIAL_CALLS: usize = 100_000;
const USAGE: &str = "usage: noop_profile [--pool N | --hop | --hop-python] [--sequential CALLS]";

/// What to measure.
enum Contender {
    /// PIME, with a pool of this many workers (`None`: the default pool).
    Pime(Option<u32>),
    /// A plain thread answering each call at once; `true`: after the floor's call.
    Hop { python: bool },
}

fn noop_params() -> BTreeMap<String, Value> {
    BTreeMap::from([("n".to_string(), Value::I64(1))])
}

fn main() -> Result<(), BoxError> {
    let mut contender = Contender::Pime(None);
    let mut sequential = SEQUENTIAL_CALLS;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--pool" => {
                let n = arguments.next().ok_or(USAGE)?.parse()?;
                contender = Contender::Pime(Some(n));
            }
            "--hop" => contender = Contender::Hop { python: false },
            "--hop-python" => contender = Contender::Hop { python: true },
            "--sequential" => sequential = arguments.next().ok_or(USAGE)?.parse()?,
            _ => return Err(USAGE.into()),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match contender {
            Contender::Pime(pool) => pime_calls(pool, sequential).await,
            Contender::Hop { python } => hop_calls(python).await,
        }
    })
}

/// PIME's no-op calls, in flight then one at a time.
async fn pime_calls(pool: Option<u32>, sequential: usize) -> Result<(), BoxError> {
    let mut builder = pime::Engine::builder()
        .import_path(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python"))
        .broker("benchmod", "broker");
    if let Some(n) = pool {
        builder = builder.thread_pool(n, n);
    }
    let engine = builder.start().await?;
    let noop = || PyTask::new(Value::String("noop".into()), noop_params());
    let (elapsed, cpu) = in_flight(move || async move {
        pime::call(noop()).await?;
        Ok(())
    })
    .await?;
    let started = Instant::now();
    for _ in 0..sequential {
        pime::call(noop()).await?;
    }
    let each = started.elapsed().as_secs_f64() * 1e6 / sequential.max(1) as f64;
    println!(
        "{CONCURRENT_CALLS} calls, {IN_FLIGHT} in flight: {:.0} calls/s; {sequential} sequential: {each:.2} µs each",
        CONCURRENT_CALLS as f64 / elapsed.as_secs_f64(),
    );
    println!(
        "CPU per call with {IN_FLIGHT} in flight: pool workers {:.0} ns, callers' tokio threads {:.0} ns, engine thread {:.0} ns",
        cpu.per_call("pime-worker"),
        cpu.per_call("tokio-rt-worker"),
        cpu.per_call("pime-engine"),
    );
    println!(
        "times a thread was switched in, per 1,000 calls: pool workers {:.1}, callers' tokio threads {:.1}",
        cpu.switches("pime-worker"),
        cpu.switches("tokio-rt-worker"),
    );
    engine.stop().await?;
    Ok(())
}

/// One hop call: the params to convert, and where the answer goes.
type HopRequest = (BTreeMap<String, Value>, oneshot::Sender<()>);

/// The hop's calls in flight: a plain thread (`bench-hop`) answers each at once or,
/// with `python`, after calling the broker as the floor does, holding the GIL while
/// calls are queued.
async fn hop_calls(python: bool) -> Result<(), BoxError> {
    let (requests, incoming) = mpsc::unbounded_channel::<HopRequest>();
    let thread = std::thread::Builder::new()
        .name("bench-hop".into())
        .spawn(move || answer(incoming, python))?;
    let (elapsed, cpu) = in_flight(move || {
        let requests = requests.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            requests
                .send((noop_params(), reply))
                .map_err(|_| "the hop thread ended")?;
            Ok(answer.await?)
        }
    })
    .await?;
    println!(
        "{} {CONCURRENT_CALLS} calls, {IN_FLIGHT} in flight: {:.0} calls/s",
        if python {
            "hop + the floor's call:"
        } else {
            "hop:"
        },
        CONCURRENT_CALLS as f64 / elapsed.as_secs_f64(),
    );
    println!(
        "CPU per call: hop thread {:.0} ns, callers' tokio threads {:.0} ns; switched in per 1,000 calls: {:.1} / {:.1}",
        cpu.per_call("bench-hop"),
        cpu.per_call("tokio-rt-worker"),
        cpu.switches("bench-hop"),
        cpu.switches("tokio-rt-worker"),
    );
    thread.join().map_err(|_| "the hop thread panicked")?
}

/// The hop thread's loop, until every sender is gone.
fn answer(mut incoming: mpsc::UnboundedReceiver<HopRequest>, python: bool) -> Result<(), BoxError> {
    if !python {
        while let Some((_, reply)) = incoming.blocking_recv() {
            let _ = reply.send(());
        }
        return Ok(());
    }
    Python::attach(|py| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python");
        let sys_path = py.import("sys")?.getattr("path")?;
        sys_path.call_method1("insert", (0, dir.to_string_lossy().as_ref()))?;
        let broker = py.import("benchmod")?.getattr("broker")?;
        loop {
            let (params, reply) = match incoming.try_recv() {
                Ok(request) => request,
                Err(mpsc::error::TryRecvError::Disconnected) => return Ok(()),
                Err(mpsc::error::TryRecvError::Empty) => {
                    match py.detach(|| incoming.blocking_recv()) {
                        Some(request) => request,
                        None => return Ok(()),
                    }
                }
            };
            let dict = pyo3::types::PyDict::new(py);
            for (key, value) in &params {
                let Value::I64(n) = value else {
                    return Err("the no-op's params are ints".into());
                };
                dict.set_item(key, n)?;
            }
            broker.call1(("noop", dict))?;
            let _ = reply.send(());
        }
    })
}

/// Makes [`CONCURRENT_CALLS`] calls of `call`, [`IN_FLIGHT`] at a time (a tokio task
/// per lane); returns the time taken and the CPU each kind of thread used meanwhile.
async fn in_flight<F, Fut>(call: F) -> Result<(Duration, CpuUsed), BoxError>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send,
{
    let before = cpu_by_thread_kind();
    let started = Instant::now();
    let mut lanes = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let call = call.clone();
        lanes.spawn(async move {
            for _ in 0..CONCURRENT_CALLS / IN_FLIGHT {
                call().await?;
            }
            Ok::<(), BoxError>(())
        });
    }
    while let Some(lane) = lanes.join_next().await {
        lane??;
    }
    let elapsed = started.elapsed();
    Ok((
        elapsed,
        CpuUsed {
            before,
            after: cpu_by_thread_kind(),
        },
    ))
}

/// Two readings of [`cpu_by_thread_kind`].
struct CpuUsed {
    before: HashMap<String, ThreadTime>,
    after: HashMap<String, ThreadTime>,
}

impl CpuUsed {
    /// What threads of `kind` used between the readings. Saturating: a thread that
    /// ended meanwhile takes its time with it.
    fn used(&self, kind: &str) -> ThreadTime {
        let after = self.after.get(kind).copied().unwrap_or_default();
        let before = self.before.get(kind).copied().unwrap_or_default();
        ThreadTime {
            ns: after.ns.saturating_sub(before.ns),
            switched_in: after.switched_in.saturating_sub(before.switched_in),
        }
    }

    /// CPU ns per call.
    fn per_call(&self, kind: &str) -> f64 {
        self.used(kind).ns as f64 / CONCURRENT_CALLS as f64
    }

    /// Times switched in per 1,000 calls.
    fn switches(&self, kind: &str) -> f64 {
        self.used(kind).switched_in as f64 * 1000.0 / CONCURRENT_CALLS as f64
    }
}

/// A thread's CPU time (ns) and how many times it was switched in.
#[derive(Clone, Copy, Default)]
struct ThreadTime {
    ns: u64,
    switched_in: u64,
}

/// [`ThreadTime`] so far (from `/proc/self/task/*/schedstat`) of this process's
/// threads, summed by name with any `-N` suffix cut: the pool's workers, the tokio
/// runtime's threads, the engine thread, the hop. Per-call CPU on each side moves far
/// less from run to run than throughput, which depends on how the threads happen to
/// share the cores.
fn cpu_by_thread_kind() -> HashMap<String, ThreadTime> {
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
        // Fields: time on the CPU (ns), time waiting for it, times switched in.
        let stat = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        let mut fields = stat
            .split_whitespace()
            .map(|f| f.parse::<u64>().unwrap_or(0));
        let (ns, switched_in) = (fields.next().unwrap_or(0), fields.nth(1).unwrap_or(0));
        let total: &mut ThreadTime = by_kind.entry(kind.to_string()).or_default();
        total.ns += ns;
        total.switched_in += switched_in;
    }
    by_kind
}
