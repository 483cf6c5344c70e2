//! Scenario 11: own-GIL subinterpreters (`.interpreters(2)`, CPython 3.12+) against
//! PIME's thread pool of 2 and a `ProcessPoolExecutor(2)`: CPU-bound calls of about
//! 1 ms and about 50 µs (16 in flight), no-op latency, and how long start-up takes per
//! interpreter. Before 3.12 it only says it was skipped.

use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::broker::{self, Request};
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{micros, millis, rate, Summary};
use crate::{floor, via_pime};

const WORKERS: u32 = 2;
const IN_FLIGHT: usize = 16;

/// Where the calls run.
#[derive(Clone, Copy)]
enum Pool {
    Interpreters,
    Threads,
    Processes,
}

pub fn run(context: &Context) -> BenchResult<Section> {
    let version = Python::attach(|py| py.version_info().minor);
    if version < 12 {
        return Ok(Section {
            notes: vec![format!(
                "subinterpreter rows: skipped, they need CPython 3.12+ (this run embeds 3.{version}); \
                 run with PYO3_PYTHON pointing at a 3.12+ python3"
            )],
            ..Section::default()
        });
    }
    let sizes = &context.sizes;
    let steps_1ms = steps_for(context, Duration::from_millis(1))?;
    let steps_50us = steps_for(context, Duration::from_micros(50))?;
    let mut section = Section::default();
    for (label, steps, calls, process_goal) in [
        ("1 ms", steps_1ms, sizes.interpreter_calls_1ms, 1.1),
        ("50 µs", steps_50us, sizes.interpreter_calls_50us, 3.0),
    ] {
        let request = Request::cpu(steps);
        let per_call =
            floor::total(&context.broker, &request, calls.min(200))? / calls.min(200) as u32;
        let mut rates = Vec::new();
        for pool in [Pool::Interpreters, Pool::Threads, Pool::Processes] {
            let elapsed = context
                .runtime
                .block_on(throughput(pool, &request, calls))?;
            rates.push(rate(calls, elapsed));
        }
        let [interpreters, threads, processes] = rates[..] else {
            unreachable!("three pools")
        };
        let row = |name: &str, pooled: f64| Row {
            scenario: format!(
                "11 CPU-bound {label} ({:.3} ms/call, {calls} calls), {name}",
                millis(per_call)
            ),
            metric: "calls/s",
            pooled: Some(pooled),
            exclusive: None,
            floor: None,
            naive: None,
        };
        section.rows.push(row("interpreters(2)", interpreters));
        section.rows.push(row("thread pool (2, 2)", threads));
        section.rows.push(row("ProcessPoolExecutor(2)", processes));
        if label == "1 ms" {
            section.targets.push(Target::at_least(
                Source::Interpreters,
                "CPU-bound 1 ms: interpreters(2) vs thread pool (2, 2)",
                interpreters / threads,
                1.8,
            ));
        }
        section.targets.push(Target::at_least(
            Source::Interpreters,
            format!("CPU-bound {label}: interpreters(2) vs ProcessPoolExecutor(2)"),
            interpreters / processes,
            process_goal,
        ));
    }

    let (interpreters, threads) = context.runtime.block_on(async {
        let interpreters = latency(Pool::Interpreters, sizes.interpreter_latency_calls).await?;
        let threads = latency(Pool::Threads, sizes.interpreter_latency_calls).await?;
        BenchResult::Ok((interpreters, threads))
    })?;
    for (metric, pick) in [
        (
            "mean µs",
            (|s: &Summary| s.mean) as fn(&Summary) -> Duration,
        ),
        ("p50 µs", |s: &Summary| s.p50),
        ("p99 µs", |s: &Summary| s.p99),
    ] {
        for (name, summary) in [
            ("interpreters(2)", &interpreters),
            ("thread pool (2, 2)", &threads),
        ] {
            section.rows.push(Row {
                scenario: format!(
                    "11 no-op latency ({} calls), {name}",
                    sizes.interpreter_latency_calls
                ),
                metric,
                pooled: Some(micros(pick(summary))),
                exclusive: None,
                floor: None,
                naive: None,
            });
        }
    }
    section.targets.push(Target::at_most(
        Source::Interpreters,
        "no-op latency (mean): interpreters(2) vs thread pool (2, 2)",
        interpreters.mean.as_secs_f64() / threads.mean.as_secs_f64(),
        1.2,
    ));

    let startup = context.runtime.block_on(startup_per_interpreter())?;
    section.notes.push(format!(
        "subinterpreter rows (CPython 3.{version}): the broker loops {steps_1ms} or {steps_50us} steps in pure Python \
         (about 1 ms and 50 µs on one thread); {IN_FLIGHT} calls in flight; start-up: \
         {} per interpreter (engine start with interpreters(4) minus with the thread pool, \
         divided by 4: creating the interpreter and importing the broker there)",
        startup
            .map(|d| format!("{:.1} ms", millis(d)))
            .unwrap_or_else(|| "not measurable".into())
    ));
    Ok(section)
}

/// Loop steps that take about `target` on one thread (the floor), measured.
fn steps_for(context: &Context, target: Duration) -> BenchResult<i64> {
    const PROBE: i64 = 100_000;
    let probe = Request::cpu(PROBE);
    floor::total(&context.broker, &probe, 3)?;
    let elapsed = floor::total(&context.broker, &probe, 10)? / 10;
    let steps = PROBE as f64 * target.as_secs_f64() / elapsed.as_secs_f64();
    Ok((steps as i64).max(1))
}

/// Starts an engine serving `benchmod.broker` on `pool`.
async fn start(pool: Pool, workers: u32) -> pime::Result<pime::Engine> {
    match pool {
        Pool::Interpreters => via_pime::builder(None).interpreters(workers).start().await,
        Pool::Threads => via_pime::start(Some((workers, workers))).await,
        Pool::Processes => via_pime::start_on_executor(broker::PROCESS_POOL).await,
    }
}

/// `calls` calls of `request`, 16 in flight, after a short warm-up pass.
async fn throughput(pool: Pool, request: &Request, calls: usize) -> BenchResult<Duration> {
    let engine = start(pool, WORKERS).await?;
    let next = {
        let request = request.clone();
        move || via_pime::call_ok(via_pime::task(&request, false))
    };
    drive::concurrent((calls / 10).max(IN_FLIGHT), IN_FLIGHT, next.clone()).await?;
    let elapsed = drive::concurrent(calls, IN_FLIGHT, next).await;
    engine.stop().await?;
    if let Pool::Processes = pool {
        via_pime::shutdown_process_pool()?;
    }
    elapsed
}

/// Sequential no-op latency on `pool`.
async fn latency(pool: Pool, calls: usize) -> BenchResult<Summary> {
    let engine = start(pool, WORKERS).await?;
    let request = Request::noop();
    let next = || via_pime::call_ok(via_pime::task(&request, false));
    drive::sequential(calls / 10, next).await?;
    let times = drive::sequential(calls, next).await;
    engine.stop().await?;
    Ok(Summary::of(times?))
}

/// How much longer an engine with 4 interpreters takes to start than one with the
/// thread pool, per interpreter (the median of 3 starts each).
async fn startup_per_interpreter() -> BenchResult<Option<Duration>> {
    const COUNT: u32 = 4;
    let timed = async |pool: Pool| -> BenchResult<Duration> {
        let mut starts = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let engine = start(pool, COUNT).await?;
            starts.push(started.elapsed());
            engine.stop().await?;
        }
        Ok(crate::stats::median(starts))
    };
    let interpreters = timed(Pool::Interpreters).await?;
    let threads = timed(Pool::Threads).await?;
    Ok(interpreters.checked_sub(threads).map(|d| d / COUNT))
}
