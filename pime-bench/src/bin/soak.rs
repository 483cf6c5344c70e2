//! PIME soak: many calls of mixed kinds with 1,000 in flight, then
//! a check that every call is accounted for, nothing is left in flight and resident
//! memory did not grow.
//!
//! ```text
//! cargo run --release -p pime-bench --bin soak                  # 1,000,000 calls
//! cargo run --release -p pime-bench --bin soak -- --calls 100000  # the CI run
//! ```
//!
//! The kinds, in every block of 100 consecutive calls: plain results, Python
//! exceptions, unconvertible results (a `set`), `no_wait` tasks, exclusive tasks, and
//! slow calls that their caller drops (`tokio::time::timeout` shorter than the
//! broker's work). The broker is `python/soakmod.py`; it counts what it runs, so the
//! Rust tally, the Python counts and `pime::stats()` can be checked against each other.
//!
//! Resident memory (`/proc/self/statm`) is read twice in the same state: after 10% of
//! the calls and after all of them, each time once every caller has its answer and a
//! final `drain` call has seen every `no_wait` and slow task finish in Python (it waits
//! on a Condition, then collects cyclic garbage). The exit code is 0 only when every
//! pass criterion holds.

use std::collections::BTreeMap;
use std::ops::Range;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pime::{ErrorKind, PyTask, Stats, Value};
use pyo3::prelude::*;

const USAGE: &str = "usage: soak [--calls N] [--glibc-default-arenas]

  --calls N               how many calls to make (default 1000000; CI runs 100000)
  --glibc-default-arenas  do not set MALLOC_ARENA_MAX (by default the soak
                          re-executes itself with it set to 2 when it is unset)";

const DEFAULT_CALLS: usize = 1_000_000;
/// Calls outstanding at any time (one tokio task per lane).
const IN_FLIGHT: usize = 1_000;
/// The first memory reading comes after this share of the calls (percent).
const FIRST_READING_PERCENT: usize = 10;
/// Pass: resident memory grows less than this between the two readings.
const GROWTH_LIMIT: f64 = 0.05;
/// How long a slow call works in Python, and how long its caller waits for it.
/// Tuned so that both fates are common: with 1,000 in flight a task waits some tens of
/// ms in the queue, so some callers give up before the broker starts (the task is
/// cancelled) and some while it runs (its result is dropped).
const SLOW_WORK: Duration = Duration::from_millis(50);
const SLOW_PATIENCE: Duration = Duration::from_millis(30);
/// Any other call not answered within this counts as lost (the soak never hangs).
const LOST_AFTER: Duration = Duration::from_secs(60);
/// How long `drain` waits for the no_wait and slow tasks before giving up.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);
/// `stop` gives up on tasks still running after this.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// glibc's malloc gives every thread that allocates an arena of its own (up to 8 per
/// core). With a dozen threads churning (tokio workers, the engine, the pool), each
/// arena keeps free pages of its own, and their sum creeps for a long time: resident
/// memory then moves by 2-7% between runs while live memory stays flat (Rust's live
/// bytes and Python's allocated blocks do not change). Two arenas, a common setting
/// for servers, keep it to 1-3.5%, mostly glibc's per-thread caches (tcache) filling
/// up. glibc reads the variable at process start, so when it is unset the soak
/// re-executes itself with it set.
const ARENA_VARIABLE: &str = "MALLOC_ARENA_MAX";
const ARENA_MAX: &str = "2";
/// How many unexpected outcomes are printed in full.
const SHOWN_UNEXPECTED: usize = 5;

/// The kinds of call, each with its share of every 100 consecutive calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Raise,
    Unconvertible,
    NoWait,
    Exclusive,
    Slow,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Plain,
        Kind::Raise,
        Kind::Unconvertible,
        Kind::NoWait,
        Kind::Exclusive,
        Kind::Slow,
    ];

    /// Calls of this kind in every block of 100 (the shares add up to 100).
    fn share(self) -> usize {
        match self {
            Kind::Plain => 51,
            Kind::Raise => 12,
            Kind::Unconvertible => 8,
            Kind::NoWait => 14,
            Kind::Exclusive => 14,
            Kind::Slow => 1,
        }
    }

    /// The kind of call number `i`.
    fn of(i: usize) -> Kind {
        let mut slot = i % 100;
        for kind in Kind::ALL {
            if slot < kind.share() {
                return kind;
            }
            slot -= kind.share();
        }
        unreachable!("the shares add up to 100")
    }

    /// The broker's command, also the name of its Python counter.
    fn command(self) -> &'static str {
        match self {
            Kind::Plain => "plain",
            Kind::Raise => "raise",
            Kind::Unconvertible => "unconvertible",
            Kind::NoWait => "no_wait",
            Kind::Exclusive => "exclusive",
            Kind::Slow => "slow",
        }
    }

    /// The expected outcome, as the report names it.
    fn outcome(self) -> &'static str {
        match self {
            Kind::Plain => "plain result",
            Kind::Raise => "Python exception (ValueError)",
            Kind::Unconvertible => "unconvertible result (a complex)",
            Kind::NoWait => "no_wait accepted",
            Kind::Exclusive => "exclusive result",
            Kind::Slow => "dropped by the caller's timeout",
        }
    }

    /// The task for call number `i`.
    fn task(self, i: usize) -> PyTask {
        let mut params = BTreeMap::from([("i".to_string(), Value::I64(i as i64))]);
        match self {
            Kind::Plain => {
                params.insert("text".into(), Value::String(text(i)));
            }
            Kind::Slow => {
                params.insert("seconds".into(), Value::F64(SLOW_WORK.as_secs_f64()));
            }
            _ => {}
        }
        let mut task = PyTask::new(Value::String(self.command().into()), params);
        match self {
            Kind::NoWait => {
                task.no_wait();
            }
            Kind::Exclusive => {
                task.mark_exclusive();
            }
            _ => {}
        }
        task
    }

    /// Whether `result` is what call number `i` of this kind must get.
    fn check(self, i: usize, result: &pime::Result<Option<Value>>) -> bool {
        match (self, result) {
            (Kind::Plain, Ok(Some(value))) => *value == plain_result(i),
            (Kind::Raise, Err(e)) => {
                e.kind == ErrorKind::PyException
                    && e.exception.as_deref() == Some("ValueError")
                    && e.message == format!("soak {i}")
            }
            (Kind::Unconvertible, Err(e)) => e.kind == ErrorKind::UnpackError,
            (Kind::NoWait, Ok(None)) => true,
            (Kind::Exclusive, Ok(Some(value))) => *value == Value::I64(i as i64),
            _ => false,
        }
    }
}

fn text(i: usize) -> String {
    format!("call {i}")
}

/// What the broker's `plain` command returns for call number `i`.
fn plain_result(i: usize) -> Value {
    let string = |s: &str| Value::String(s.into());
    Value::Map(BTreeMap::from([
        (string("i"), Value::I64(i as i64)),
        (string("text"), Value::String(text(i))),
    ]))
}

/// The outcome of every call so far, by kind; anything else is unexpected.
#[derive(Default)]
struct Tally {
    expected: [AtomicU64; Kind::ALL.len()],
    unexpected: AtomicU64,
    first_unexpected: Mutex<Vec<String>>,
}

impl Tally {
    fn count(&self, kind: Kind) -> u64 {
        self.expected[kind as usize].load(Ordering::Relaxed)
    }

    fn unexpected(&self) -> u64 {
        self.unexpected.load(Ordering::Relaxed)
    }

    fn total(&self) -> u64 {
        Kind::ALL.iter().map(|&k| self.count(k)).sum::<u64>() + self.unexpected()
    }

    fn record(&self, kind: Kind, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                self.expected[kind as usize].fetch_add(1, Ordering::Relaxed);
            }
            Err(message) => {
                self.unexpected.fetch_add(1, Ordering::Relaxed);
                let mut shown = self
                    .first_unexpected
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if shown.len() < SHOWN_UNEXPECTED {
                    shown.push(message);
                }
            }
        }
    }
}

/// Makes call number `i` and records its outcome.
async fn call(i: usize, tally: &Tally) {
    let kind = Kind::of(i);
    let call = pime::call(kind.task(i));
    let outcome = match kind {
        Kind::Slow => match tokio::time::timeout(SLOW_PATIENCE, call).await {
            Err(_elapsed) => Ok(()),
            Ok(result) => Err(format!("answered before its timeout: {result:?}")),
        },
        _ => match tokio::time::timeout(LOST_AFTER, call).await {
            Err(_elapsed) => Err(format!("no answer within {LOST_AFTER:?}")),
            Ok(result) if kind.check(i, &result) => Ok(()),
            Ok(result) => Err(format!("unexpected {result:?}")),
        },
    };
    tally.record(
        kind,
        outcome.map_err(|message| format!("call {i} ({}): {message}", kind.command())),
    );
}

/// Makes calls `range` with [`IN_FLIGHT`] outstanding; returns the wall time.
async fn stage(range: Range<usize>, tally: &Arc<Tally>) -> Result<Duration, String> {
    let next = Arc::new(AtomicUsize::new(range.start));
    let started = Instant::now();
    let mut lanes = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (next, tally, end) = (Arc::clone(&next), Arc::clone(tally), range.end);
        lanes.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                call(i, &tally).await;
            }
        });
    }
    while let Some(lane) = lanes.join_next().await {
        lane.map_err(|e| format!("a lane failed: {e}"))?;
    }
    Ok(started.elapsed())
}

/// What `drain` reports: the broker's counters, and whether everything finished.
struct Drained {
    counts: BTreeMap<String, u64>,
    drained: bool,
    /// `sys.getallocatedblocks()` after a full collection.
    blocks: u64,
}

impl Drained {
    fn get(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }
}

/// Waits until the broker has run `no_wait` no_wait tasks and runs no slow task.
async fn drain(no_wait: u64) -> Result<Drained, String> {
    let params = BTreeMap::from([
        ("no_wait".to_string(), Value::I64(no_wait as i64)),
        (
            "timeout".to_string(),
            Value::F64(DRAIN_TIMEOUT.as_secs_f64()),
        ),
    ]);
    let task = PyTask::new(Value::String("drain".into()), params);
    let answer = tokio::time::timeout(DRAIN_TIMEOUT + LOST_AFTER, pime::call(task))
        .await
        .map_err(|_| "the drain call got no answer")?;
    let Some(Value::Map(map)) = answer.map_err(|e| e.to_string())? else {
        return Err("drain returned no dict".into());
    };
    let mut drained = Drained {
        counts: BTreeMap::new(),
        drained: false,
        blocks: 0,
    };
    for (key, value) in map {
        match (key, value) {
            (Value::String(key), Value::Bool(done)) if key == "drained" => drained.drained = done,
            (Value::String(key), Value::I64(n)) if key == "blocks" => drained.blocks = n as u64,
            (Value::String(key), Value::I64(n)) => {
                drained.counts.insert(key, n as u64);
            }
            (key, value) => return Err(format!("drain returned {key:?}: {value:?}")),
        }
    }
    Ok(drained)
}

/// Resident memory in bytes: `/proc/self/statm`'s second field (pages) times the
/// page size.
fn resident_bytes(page_size: u64) -> Result<u64, String> {
    let statm = std::fs::read_to_string("/proc/self/statm").map_err(|e| e.to_string())?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .ok_or_else(|| format!("cannot read /proc/self/statm: {statm:?}"))?;
    Ok(pages * page_size)
}

/// The page size, as `os.sysconf` reports it.
fn page_size() -> Result<u64, String> {
    Python::attach(|py| {
        py.import("os")?
            .call_method1("sysconf", ("SC_PAGE_SIZE",))?
            .extract()
    })
    .map_err(|e: PyErr| format!("cannot read the page size: {e}"))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One memory reading, taken with everything drained.
struct Reading {
    after_calls: usize,
    resident: u64,
    python_blocks: u64,
    elapsed: Duration,
}

/// Everything the run measured.
struct Run {
    calls: usize,
    readings: [Reading; 2],
    python: Drained,
    stats: Stats,
    stopped: pime::Result<()>,
}

/// Command-line options.
struct Options {
    calls: usize,
    glibc_default_arenas: bool,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("PIME soak\n\n{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Before anything allocates much: may re-execute the program and not return.
    let arenas = match ensure_arena_setting(options.glibc_default_arenas) {
        Ok(arenas) => arenas,
        Err(error) => {
            eprintln!("soak failed: cannot re-execute with {ARENA_VARIABLE} set: {error}");
            return ExitCode::FAILURE;
        }
    };
    print_header(options.calls, arenas.as_deref());
    let tally = Arc::new(Tally::default());
    let run = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|runtime| runtime.block_on(soak(options.calls, &tally)));
    match run {
        Ok(run) if report(&run, &tally) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("soak failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The options, or `None` for `--help`.
fn parse(mut arguments: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        calls: DEFAULT_CALLS,
        glibc_default_arenas: false,
    };
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "-h" | "--help" => return Ok(None),
            "--calls" => {
                options.calls = arguments
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n >= 100)
                    .ok_or("--calls needs a number of at least 100")?;
            }
            "--glibc-default-arenas" => options.glibc_default_arenas = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(options))
}

/// What the process runs under: `MALLOC_ARENA_MAX`'s value, or `None` for glibc's
/// default (only when `keep_glibc_default` is set). When the variable is unset and
/// `keep_glibc_default` is not, this re-executes the program with [`ARENA_MAX`] and
/// only returns if that fails.
fn ensure_arena_setting(keep_glibc_default: bool) -> std::io::Result<Option<String>> {
    if let Some(value) = std::env::var_os(ARENA_VARIABLE) {
        return Ok(Some(value.to_string_lossy().into_owned()));
    }
    if keep_glibc_default {
        return Ok(None);
    }
    let program = std::env::current_exe()?;
    let arguments: Vec<_> = std::env::args_os().skip(1).collect();
    // `exec` only returns on failure.
    Err(Command::new(program)
        .args(arguments)
        .env(ARENA_VARIABLE, ARENA_MAX)
        .exec())
}

async fn soak(calls: usize, tally: &Arc<Tally>) -> Result<Run, String> {
    let engine = pime::Engine::builder()
        .import_path(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python"))
        .broker("soakmod", "broker")
        .thread_pool(pool_size(), pool_size())
        .stop_timeout(STOP_TIMEOUT)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let page_size = page_size()?;
    let first = calls * FIRST_READING_PERCENT / 100;
    let mut readings = Vec::new();
    let mut python = None;
    for range in [0..first, first..calls] {
        let (start, end) = (range.start, range.end);
        let elapsed = stage(range, tally).await?;
        let drained = drain(tally.count(Kind::NoWait)).await?;
        let reading = Reading {
            after_calls: end,
            resident: resident_bytes(page_size)?,
            python_blocks: drained.blocks,
            elapsed,
        };
        eprintln!(
            "  {end} calls done ({:.0} calls/s); resident {:.1} MiB",
            (end - start) as f64 / elapsed.as_secs_f64(),
            mib(reading.resident),
        );
        readings.push(reading);
        python = Some(drained);
    }
    let stats = pime::stats();
    let stopped = engine.stop().await;
    let [first, last] = <[Reading; 2]>::try_from(readings).map_err(|_| "two readings")?;
    Ok(Run {
        calls,
        readings: [first, last],
        python: python.ok_or("no drain")?,
        stats,
        stopped,
    })
}

/// PIME's default maximum pool size, all started up front (`min` = `max`), so that no
/// worker thread (with its stack and malloc arena) starts between the two readings.
fn pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get() as u32);
    (cores + 4).min(32)
}

fn print_header(calls: usize, arenas: Option<&str>) {
    Python::initialize();
    let python = Python::version_str().replace('\n', " ");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    println!("PIME soak: {calls} calls, {IN_FLIGHT} in flight");
    println!("  Python {python}; {cores} cores; load average {load} at start");
    match arenas {
        Some(value) => println!("  runs under {ARENA_VARIABLE}={value}"),
        None => println!("  runs under glibc's default malloc arenas ({ARENA_VARIABLE} unset)"),
    }
    let mix: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("{} {}", k.share(), k.command()))
        .collect();
    println!(
        "  every 100 calls: {}; pool of {} threads",
        mix.join(", "),
        pool_size()
    );
    println!(
        "  slow calls work {} ms in Python; their callers give up after {} ms",
        SLOW_WORK.as_millis(),
        SLOW_PATIENCE.as_millis()
    );
}

/// Prints the figures and the pass criteria; returns whether all hold.
fn report(run: &Run, tally: &Tally) -> bool {
    let calls = run.calls as u64;
    println!();
    for reading in &run.readings {
        println!(
            "After {} calls (all drained): resident memory {:.1} MiB; Python allocated blocks {}; stage took {:.1} s",
            reading.after_calls,
            mib(reading.resident),
            reading.python_blocks,
            reading.elapsed.as_secs_f64()
        );
    }

    // What Python ran, and what the engine says, against the Rust tally.
    let py = &run.python;
    let s = &run.stats;
    // The two drain calls are engine tasks too.
    let drains = 2;
    let slow_ran = py.get("slow_started");
    let never_queued = (calls + drains).saturating_sub(s.submitted);
    println!();
    println!("Outcomes (Rust callers):");
    for kind in Kind::ALL {
        println!("  {:<32} {:>9}", kind.outcome(), tally.count(kind));
    }
    println!("  {:<32} {:>9}", "unexpected", tally.unexpected());
    println!("  {:<32} {:>9}", "total", tally.total());
    println!(
        "  timed-out calls: broker ran {slow_ran}, cancelled before starting {}, never queued {never_queued}",
        s.cancelled
    );
    for message in tally
        .first_unexpected
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
    {
        println!("  ! {message}");
    }
    println!(
        "Python counts: {}",
        py.counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "pime::stats(): submitted {}, completed {}, failed {}, cancelled {}, in_flight {}, queued {}",
        s.submitted, s.completed, s.failed, s.cancelled, s.in_flight, s.queued
    );
    if let Err(error) = &run.stopped {
        println!("engine stop: {error}");
    }

    let python_agrees = py.drained
        && [
            Kind::Plain,
            Kind::Raise,
            Kind::Unconvertible,
            Kind::NoWait,
            Kind::Exclusive,
        ]
        .iter()
        .all(|&k| py.get(k.command()) == tally.count(k))
        && slow_ran == py.get("slow_finished");
    let engine_agrees = s.completed
        == tally.count(Kind::Plain)
            + tally.count(Kind::NoWait)
            + tally.count(Kind::Exclusive)
            + slow_ran
            + drains
        && s.failed == tally.count(Kind::Raise) + tally.count(Kind::Unconvertible)
        && s.submitted == s.completed + s.failed + s.cancelled
        && slow_ran + s.cancelled + never_queued == tally.count(Kind::Slow);
    let first = run.readings[0].resident as f64;
    let growth = (run.readings[1].resident as f64 - first) / first;
    let criteria = [
        (
            format!("every call accounted for: outcomes sum to {calls}, none unexpected"),
            tally.total() == calls && tally.unexpected() == 0,
        ),
        (
            "Python-side counts agree (and every no_wait and slow task finished)".into(),
            python_agrees,
        ),
        (
            "pime::stats() agrees: completed, failed, cancelled, submitted".into(),
            engine_agrees,
        ),
        (
            format!(
                "in flight 0 at the end (in_flight {}, queued {})",
                s.in_flight, s.queued
            ),
            s.in_flight == 0 && s.queued == 0,
        ),
        (
            format!(
                "resident memory growth {:+.2}% ({:.1} -> {:.1} MiB) under {}%",
                growth * 100.0,
                mib(run.readings[0].resident),
                mib(run.readings[1].resident),
                GROWTH_LIMIT * 100.0
            ),
            growth < GROWTH_LIMIT,
        ),
        ("the engine stopped cleanly".into(), run.stopped.is_ok()),
    ];
    println!();
    println!("Pass criteria:");
    for (criterion, met) in &criteria {
        println!("  [{}] {criterion}", if *met { "PASS" } else { "FAIL" });
    }
    let passed = criteria.iter().all(|(_, met)| *met);
    println!("{}", if passed { "SOAK PASSED" } else { "SOAK FAILED" });
    passed
}
