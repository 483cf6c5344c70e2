//! PIME benchmark: PIME (pooled and exclusive tasks) against the floor (the broker
//! called in a loop by one thread holding the GIL) and the naive approach
//! (`spawn_blocking` + `Python::attach` per call), in one run, with a table of ratios
//! and the targets each row is held to.
//!
//! ```text
//! cargo run --release -p pime-bench            # full run (one to two minutes)
//! cargo run --release -p pime-bench -- --quick # smoke run for CI
//! ```

mod broker;
mod config;
mod convert;
mod drive;
mod floor;
mod hop;
mod machine;
mod malloc;
mod naive;
mod report;
mod scenarios;
mod stats;
mod via_pime;

use std::process::ExitCode;
use std::time::Instant;

use pyo3::prelude::*;

use crate::config::Sizes;
use crate::drive::BenchResult;
use crate::report::Section;
use crate::scenarios::Context;

const USAGE: &str = "usage: pime-bench [--quick] [--only NAME,..] [--glibc-default-trim]

  --quick               a short smoke run (CI): same scenarios, fewer calls
  --only NAME,..        run only these scenarios: latency, throughput, sleep,
                        payload, busy, cpu, async, pools, mixed, host,
                        interpreters
  --glibc-default-trim  do not set MALLOC_TRIM_THRESHOLD_ (by default the bench
                        re-executes itself with it set to 128 MiB when it is unset)";

/// Runs one scenario against every contender.
type Scenario = fn(&Context) -> BenchResult<Section>;

/// Every scenario, by the name `--only` takes, in the order they run.
const SCENARIOS: [(&str, Scenario); 11] = [
    ("latency", scenarios::latency::run),
    ("throughput", scenarios::throughput::run),
    ("sleep", scenarios::sleep::run),
    ("payload", scenarios::payload::run),
    ("busy", scenarios::busy::run),
    ("cpu", scenarios::cpu::run),
    ("async", scenarios::async_sleep::run),
    ("pools", scenarios::pools::run),
    ("mixed", scenarios::mixed::run),
    ("host", scenarios::host_call::run),
    ("interpreters", scenarios::interpreters::run),
];

/// Command-line options.
struct Options {
    quick: bool,
    only: Option<Vec<String>>,
    glibc_default_trim: bool,
}

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("PIME benchmark\n\n{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pime-bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse(mut arguments: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        only: None,
        glibc_default_trim: false,
    };
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--quick" => options.quick = true,
            "--only" => {
                let names = arguments.next().ok_or("--only needs scenario names")?;
                let names: Vec<String> = names.split(',').map(str::to_string).collect();
                if let Some(unknown) = names.iter().find(|n| !SCENARIOS.iter().any(|s| s.0 == *n)) {
                    return Err(format!("unknown scenario {unknown:?}"));
                }
                options.only = Some(names);
            }
            "--glibc-default-trim" => options.glibc_default_trim = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> BenchResult<()> {
    // Before anything allocates much: may re-execute the program and not return.
    let trim = malloc::ensure_trim_setting(options.glibc_default_trim)?;
    let started = Instant::now();
    Python::initialize();
    let context = Context {
        runtime: tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
        broker: broker::import()?,
        sizes: if options.quick {
            Sizes::quick()
        } else {
            Sizes::full()
        },
    };
    print_header(options, trim.as_deref());

    let mut section = Section::default();
    for (name, scenario) in SCENARIOS {
        if options
            .only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|n| n == name))
        {
            continue;
        }
        let scenario_started = Instant::now();
        section.append(scenario(&context)?);
        eprintln!(
            "  {name}: done in {:.1} s",
            scenario_started.elapsed().as_secs_f64()
        );
    }
    println!();
    report::print(&section);
    println!(
        "\nTotal run time {:.1} s; load average {} at the end",
        started.elapsed().as_secs_f64(),
        machine::load_average()
    );
    Ok(())
}

fn print_header(options: &Options, trim: Option<&str>) {
    let python = Python::version_str().replace('\n', " ");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "PIME benchmark ({} run)",
        if options.quick { "quick" } else { "full" }
    );
    println!(
        "  Python {python}; {cores} cores; load average {} at start",
        machine::load_average()
    );
    match trim {
        Some(value) => println!(
            "  every contender runs under {}={value}",
            malloc::TRIM_VARIABLE
        ),
        None => println!("  every contender runs under glibc's default trim threshold (unset)"),
    }
    println!("  PIME pool/excl: pime::call, pooled (PIME's default pool unless a row says otherwise) or exclusive (inline on the engine thread)");
    println!("  floor: one thread holding the GIL calls the broker in a loop (converting params and result)");
    println!("  naive: tokio spawn_blocking + Python::attach per call, default blocking pool");
    println!("  floor and naive convert with a plain recursive Value <-> Python converter (src/convert.rs)");
}
