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
    /// Tasks admitted (given a place under the engine's bound, then queued).
    pub submitted: u64,
    /// Tasks whose broker returned normally (converted result delivered or dropped).
    pub completed: u64,
    /// Tasks that ended in an error (exception, conversion, refused, stopped).
    pub failed: u64,
    /// Tasks that were skipped because their caller had gone before they started.
    pub cancelled: u64,
    /// Tasks running right now on a pool worker or the engine thread, awaiting on the
    /// event loop, streaming, or handed to a user's executor.
    pub in_flight: u64,
    /// Tasks waiting in a queue, not started yet.
    pub queued: u64,
    /// Timing per command (only with [`crate::EngineBuilder::command_stats`]): at
    /// most [`MAX_COMMAND_STATS`] entries plus [`OTHER_COMMANDS`].
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

/// How a task ended: each admitted task ends in exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    Failed,
    Cancelled,
}

impl Outcome {
    /// Completed when `result` is `Ok`, failed otherwise.
    pub(crate) fn of<T, E>(result: &std::result::Result<T, E>) -> Outcome {
        if result.is_ok() {
            Outcome::Completed
        } else {
            Outcome::Failed
        }
    }
}

/// A count of tasks now in one state.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Gauge {
    Queued,
    Running,
}

/// The most commands [`Stats::commands`] keeps; calls of further commands are
/// counted under [`OTHER_COMMANDS`].
pub const MAX_COMMAND_STATS: usize = 256;
/// The entry of [`Stats::commands`] that counts the commands past
/// [`MAX_COMMAND_STATS`].
pub const OTHER_COMMANDS: &str = "<other>";

pub(crate) struct Counters {
    submitted: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
    queued: AtomicU64,
    running: AtomicU64,
    per_command_enabled: AtomicBool,
    per_command: Mutex<HashMap<String, CommandStats>>,
}

pub(crate) static COUNTERS: LazyLock<Counters> = LazyLock::new(|| Counters {
    submitted: AtomicU64::new(0),
    completed: AtomicU64::new(0),
    failed: AtomicU64::new(0),
    cancelled: AtomicU64::new(0),
    queued: AtomicU64::new(0),
    running: AtomicU64::new(0),
    per_command_enabled: AtomicBool::new(false),
    per_command: Mutex::new(HashMap::new()),
});

impl Counters {
    /// One more task admitted.
    pub(crate) fn submitted(&self) {
        self.submitted.fetch_add(1, Ordering::Relaxed);
    }

    /// One admitted task ended.
    pub(crate) fn ended(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Completed => &self.completed,
            Outcome::Failed => &self.failed,
            Outcome::Cancelled => &self.cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn gauge(&self, gauge: Gauge) -> &AtomicU64 {
        match gauge {
            Gauge::Queued => &self.queued,
            Gauge::Running => &self.running,
        }
    }

    pub(crate) fn gauge_up(&self, gauge: Gauge) {
        self.gauge(gauge).fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn gauge_down(&self, gauge: Gauge) {
        self.gauge(gauge).fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn enable_per_command(&self) {
        self.per_command_enabled.store(true, Ordering::Relaxed);
    }

    pub(crate) fn per_command_enabled(&self) -> bool {
        self.per_command_enabled.load(Ordering::Relaxed)
    }

    /// Records one finished call of `command`. A call the broker refused as unknown
    /// (`known` false) creates no entry, and at most [`MAX_COMMAND_STATS`] entries
    /// exist; calls of further commands count under [`OTHER_COMMANDS`].
    pub(crate) fn record(&self, command: &str, elapsed: Duration, ok: bool, known: bool) {
        let mut map = lock(&self.per_command);
        let key = if map.contains_key(command) {
            command
        } else if !known {
            return;
        } else if map.len() < MAX_COMMAND_STATS {
            command
        } else {
            OTHER_COMMANDS
        };
        let entry = match map.get_mut(key) {
            Some(entry) => entry,
            None => map.entry(key.to_string()).or_default(),
        };
        entry.calls += 1;
        entry.errors += u64::from(!ok);
        entry.total += elapsed;
        entry.max = entry.max.max(elapsed);
    }
}

/// The engine's counters now (cumulative since the process started). Every task
/// counted in `submitted` is, at any moment, in exactly one of `queued`, `in_flight`,
/// `completed`, `failed` and `cancelled`.
pub fn stats() -> Stats {
    let c = &*COUNTERS;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let commands = lock(&c.per_command)
        .iter()
        .map(|(name, stats)| (name.clone(), stats.clone()))
        .collect();
    Stats {
        submitted: load(&c.submitted),
        completed: load(&c.completed),
        failed: load(&c.failed),
        cancelled: load(&c.cancelled),
        in_flight: load(&c.running),
        queued: load(&c.queued),
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
