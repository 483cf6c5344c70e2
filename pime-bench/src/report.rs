//! The results table and the target checklist.

/// One measured quantity for every contender that applies (`None`: not measured).
pub struct Row {
    pub scenario: String,
    pub metric: &'static str,
    pub pooled: Option<f64>,
    pub exclusive: Option<f64>,
    pub floor: Option<f64>,
    pub naive: Option<f64>,
}

/// Where a goal comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Issue 2, "Benchmark" / "Targets".
    Dispatch,
    /// Issue 4, "Latency under CPU load".
    CpuLoad,
    /// Issue 5, "Executors" (a process pool for CPU-bound brokers).
    Executors,
    /// Issue 5, async commands (coroutines awaited on PIME's event loop).
    AsyncCommands,
    /// Issue 11, fast at any pool size (pool rows and the mixed row).
    AnyPool,
    /// Host modules: Python calling Rust.
    HostCalls,
    /// Own-GIL subinterpreters (`.interpreters(n)`).
    Interpreters,
    /// A stricter comparison the bench adds; reported, not counted.
    Extra,
}

impl Source {
    const ALL: [Source; 8] = [
        Source::Dispatch,
        Source::CpuLoad,
        Source::Executors,
        Source::AsyncCommands,
        Source::AnyPool,
        Source::HostCalls,
        Source::Interpreters,
        Source::Extra,
    ];

    fn heading(self) -> &'static str {
        match self {
            Source::Dispatch => "Targets: the cost of dispatch",
            Source::CpuLoad => "Targets: latency under CPU load",
            Source::Executors => "Targets: executors",
            Source::AsyncCommands => "Targets: async commands",
            Source::AnyPool => "Targets: any pool size",
            Source::HostCalls => "Targets: host calls",
            Source::Interpreters => "Targets: subinterpreters",
            Source::Extra => "Stricter comparisons (not targets)",
        }
    }
}

/// One goal, checked against this run.
pub struct Target {
    pub source: Source,
    pub goal: String,
    pub measured: String,
    pub met: bool,
}

impl Target {
    /// A goal on `ratio` = PIME ÷ reference, met when `ratio <= limit`.
    pub fn at_most(source: Source, goal: impl Into<String>, ratio: f64, limit: f64) -> Target {
        Target {
            source,
            goal: goal.into(),
            measured: format!("{ratio:.2}x (limit {limit}x)"),
            met: ratio <= limit,
        }
    }

    /// A goal on `ratio` = PIME ÷ reference, met when `ratio >= limit`.
    pub fn at_least(source: Source, goal: impl Into<String>, ratio: f64, limit: f64) -> Target {
        Target {
            source,
            goal: goal.into(),
            measured: format!("{ratio:.2}x (needs {limit}x)"),
            met: ratio >= limit,
        }
    }
}

/// What one scenario contributes to the report.
#[derive(Default)]
pub struct Section {
    pub rows: Vec<Row>,
    pub targets: Vec<Target>,
    pub notes: Vec<String>,
}

impl Section {
    pub fn append(&mut self, mut other: Section) {
        self.rows.append(&mut other.rows);
        self.targets.append(&mut other.targets);
        self.notes.append(&mut other.notes);
    }
}

/// PIME ÷ reference, when both were measured.
pub fn ratio(pime: Option<f64>, reference: Option<f64>) -> Option<f64> {
    Some(pime? / reference?)
}

/// Prints the table, the notes and the targets.
pub fn print(section: &Section) {
    const HEADERS: [&str; 9] = [
        "scenario",
        "metric",
        "PIME pool",
        "PIME excl",
        "floor",
        "naive",
        "pool/naive",
        "excl/naive",
        "pool/floor",
    ];
    let lines: Vec<[String; 9]> = section
        .rows
        .iter()
        .map(|row| {
            [
                row.scenario.clone(),
                row.metric.to_string(),
                number(row.pooled),
                number(row.exclusive),
                number(row.floor),
                number(row.naive),
                times(ratio(row.pooled, row.naive)),
                times(ratio(row.exclusive, row.naive)),
                times(ratio(row.pooled, row.floor)),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let pad = width - cell.chars().count();
            if i < 2 {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            } else {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
                text.push_str("  ");
            }
        }
        text.trim_end().to_string()
    };
    let header = render(&HEADERS.map(String::from));
    println!("{header}");
    println!("{}", "-".repeat(header.len()));
    for line in &lines {
        println!("{}", render(line));
    }
    println!();
    println!(
        "Ratios are PIME ÷ other: below 1 is better for times, above 1 is better for calls/s."
    );
    for note in &section.notes {
        println!("* {note}");
    }
    for source in Source::ALL {
        let targets: Vec<&Target> = section
            .targets
            .iter()
            .filter(|t| t.source == source)
            .collect();
        if targets.is_empty() {
            continue;
        }
        println!();
        println!("{}", source.heading());
        for target in &targets {
            let verdict = if target.met { "MET " } else { "MISS" };
            println!("  [{verdict}] {:<64} {}", target.goal, target.measured);
        }
        if source != Source::Extra {
            let met = targets.iter().filter(|t| t.met).count();
            println!("  {met} of {} met", targets.len());
        }
    }
}

fn number(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v.abs() >= 1000.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) if v.abs() >= 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

fn times(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}x"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}x"),
        Some(v) => format!("{v:.2}x"),
    }
}
