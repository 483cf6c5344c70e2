//! `pime::stats()`: what the engine has done, for dashboards and `/metrics`.
//!
//! The counters are process-wide atomics (one add per event, no lock). Per-command
//! timings need a map shared by all calls, so they are collected only when asked for
//! ([`crate::EngineBuilder::command_stats`]); the map is updated by threads that hold
//! the GIL, so it is never contended.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::waiting::lock;

/// A snapshot of the engine's counters, cumulative over the life of the process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Tasks accepted into a queue (the pool's or the engine thread's).
    pub submitted: u64,
    /// Tasks whose broker returned normally (converted result delivered or dropped).
    pub completed: u64,
    /// Tasks that ended in an error (exception, conversion, refused, stopped).
    pub failed: u64,
    /// Tasks that were skipped because their caller had gone before they started.
    pub cancelled: u64,
    /// Tasks running right now on a pool worker (or awaiting on the event loop), or
    /// handed to a user's executor.
    pub in_flight: u64,
    /// Tasks waiting in a queue, not started yet.
    pub queued: u64,
    /// Timing per command (only with [`crate::EngineBuilder::command_stats`]).
    pub commands: BTreeMap<String, CommandStats>,
}

/// How one command has fared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandStats {
    /// Calls that finished (either way).
    pub calls: u64,
    /// Of which ended in an error.
    pub errors: u64,
    /// Time spent in the broker and in converting its result, summed.
    pub total: Duration,
    /// The longest single call.
    pub max: Duration,
}

impl CommandStats {
    /// The mean time per call.
    pub fn mean(&self) -> Duration {
        if self.calls == 0 {
            Duration::ZERO
        } else {
            self.total / self.calls as u32
        }
    }
}

pub(crate) struct Counters {
    pub(crate) submitted: AtomicU64,
    pub(crate) dispatched: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) finished_in_executor: AtomicU64,
    pub(crate) entered_executor: AtomicU64,
    per_command_enabled: AtomicBool,
    per_command: Mutex<HashMap<String, CommandStats>>,
}

pub(crate) static COUNTERS: LazyLock<Counters> = LazyLock::new(|| Counters {
    submitted: AtomicU64::new(0),
    dispatched: AtomicU64::new(0),
    completed: AtomicU64::new(0),
    failed: AtomicU64::new(0),
    cancelled: AtomicU64::new(0),
    finished_in_executor: AtomicU64::new(0),
    entered_executor: AtomicU64::new(0),
    per_command_enabled: AtomicBool::new(false),
    per_command: Mutex::new(HashMap::new()),
});

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn enable_per_command(&self) {
        self.per_command_enabled.store(true, Ordering::Relaxed);
    }

    pub(crate) fn per_command_enabled(&self) -> bool {
        self.per_command_enabled.load(Ordering::Relaxed)
    }

    /// Records one finished call of `command`.
    pub(crate) fn record(&self, command: &str, elapsed: Duration, ok: bool) {
        let mut map = lock(&self.per_command);
        let entry = match map.get_mut(command) {
            Some(entry) => entry,
            None => map.entry(command.to_string()).or_default(),
        };
        entry.calls += 1;
        entry.errors += u64::from(!ok);
        entry.total += elapsed;
        entry.max = entry.max.max(elapsed);
    }
}

/// The engine's counters now (cumulative since the process started).
pub fn stats() -> Stats {
    let c = &*COUNTERS;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let submitted = load(&c.submitted);
    let dispatched = load(&c.dispatched);
    let entered = load(&c.entered_executor);
    let finished = load(&c.finished_in_executor);
    let commands = lock(&c.per_command)
        .iter()
        .map(|(name, stats)| (name.clone(), stats.clone()))
        .collect();
    Stats {
        submitted,
        completed: load(&c.completed),
        failed: load(&c.failed),
        cancelled: load(&c.cancelled),
        in_flight: entered.saturating_sub(finished),
        queued: submitted.saturating_sub(dispatched),
        commands,
    }
}

/// `stats` in the Prometheus text exposition format.
pub fn stats_prometheus() -> String {
    let s = stats();
    let mut out = String::new();
    let totals = [
        (
            "tasks_submitted_total",
            "counter",
            "Tasks accepted into a queue.",
            s.submitted,
        ),
        (
            "tasks_completed_total",
            "counter",
            "Tasks whose broker returned.",
            s.completed,
        ),
        (
            "tasks_failed_total",
            "counter",
            "Tasks that ended in an error.",
            s.failed,
        ),
        (
            "tasks_cancelled_total",
            "counter",
            "Tasks skipped because the caller left.",
            s.cancelled,
        ),
        (
            "tasks_in_flight",
            "gauge",
            "Tasks running (or handed to a user executor).",
            s.in_flight,
        ),
        (
            "tasks_queued",
            "gauge",
            "Tasks waiting in a queue.",
            s.queued,
        ),
    ];
    for (name, kind, help, value) in totals {
        header(&mut out, name, kind, help);
        out.push_str(&format!("pime_{name} {value}\n"));
    }
    type Field = fn(&CommandStats) -> String;
    let per_command: [(&str, &str, &str, Field); 4] = [
        (
            "command_calls_total",
            "counter",
            "Finished calls per command.",
            |c| c.calls.to_string(),
        ),
        (
            "command_errors_total",
            "counter",
            "Failed calls per command.",
            |c| c.errors.to_string(),
        ),
        (
            "command_seconds_total",
            "counter",
            "Time spent per command.",
            |c| c.total.as_secs_f64().to_string(),
        ),
        (
            "command_seconds_max",
            "gauge",
            "Longest call per command.",
            |c| c.max.as_secs_f64().to_string(),
        ),
    ];
    if !s.commands.is_empty() {
        for (name, kind, help, field) in per_command {
            header(&mut out, name, kind, help);
            for (command, stats) in &s.commands {
                let label = escape_label(command);
                out.push_str(&format!(
                    "pime_{name}{{command=\"{label}\"}} {}\n",
                    field(stats)
                ));
            }
        }
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    out.push_str(&format!(
        "# HELP pime_{name} {help}\n# TYPE pime_{name} {kind}\n"
    ));
}

/// Escapes a label value as the exposition format asks: backslash, quote, newline.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
