//! Scenario 8: Python calling the host. A command that makes one call to a no-op
//! `async fn` of a `#[pime::host_module]`, against the same command without it, and
//! against the `#[pyfunction]` + `Handle::block_on` a user would write by hand; also
//! the per-call cost in a Python loop (the command's dispatch left out), where the
//! host call's own cost shows best.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use pyo3::prelude::*;
use serde_value::Value;
use tokio::runtime::Handle;

use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{micros, Summary};

/// The host module the bench registers: no-ops.
#[pime::host_module(module = "benchhost")]
pub trait BenchHost {
    /// Does nothing, asynchronously.
    async fn noop(&self) -> pime::Result<()>;
    /// Does nothing (a plain `fn`).
    fn noop_fn(&self) -> pime::Result<()>;
}

struct Noop;

impl BenchHost for Noop {
    async fn noop(&self) -> pime::Result<()> {
        Ok(())
    }
    fn noop_fn(&self) -> pime::Result<()> {
        Ok(())
    }
}

/// The runtime the hand-written function blocks on.
static RUNTIME: OnceLock<Handle> = OnceLock::new();

/// What a user writes without PIME: block on the future with the GIL released.
#[pyfunction]
fn noop(py: Python<'_>) -> PyResult<()> {
    let handle = RUNTIME
        .get()
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("no runtime"))?;
    py.detach(|| handle.block_on(async { Ok::<(), String>(()) }))
        .map_err(pyo3::exceptions::PyRuntimeError::new_err)
}

fn register_handwritten() -> PyResult<()> {
    Python::attach(|py| {
        let module = PyModule::new(py, "handwritten")?;
        module.add_function(wrap_pyfunction!(noop, &module)?)?;
        py.import("sys")?
            .getattr("modules")?
            .set_item("handwritten", module)
    })
}

/// Rounds of each per-call loop, and the calls in one: many short rounds, so the
/// fastest of each is one the machine did not slow down (a shared 2-core VM moves
/// sub-µs loops by up to 2x from one moment to the next).
const LOOP_ROUNDS: usize = 25;
const LOOP_CALLS: usize = 10_000;

fn command(name: &str, params: BTreeMap<String, Value>) -> pime::PyTask {
    pime::PyTask::new(Value::String(name.into()), params)
}

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let _ = RUNTIME.set(context.runtime.handle().clone());
    register_handwritten()?;
    let (per_command, per_call) = context.runtime.block_on(async {
        let engine = pime::Engine::builder()
            .import_path(crate::broker::module_dir())
            .host(BenchHostHost::new(Noop))
            .broker("hostbench", "broker")
            .start()
            .await?;
        let mut per_command = BTreeMap::new();
        for which in ["none", "host", "handwritten"] {
            let next = || async move {
                pime::call(command(which, BTreeMap::new())).await?;
                BenchResult::Ok(())
            };
            drive::sequential(sizes.latency_warmup, next).await?;
            let times = drive::sequential(sizes.latency_calls, next).await?;
            per_command.insert(which, Summary::of(times));
        }
        // Rounds of each loop in turn, the fastest kept: the machine is shared, and a
        // loop of sub-µs calls is easily slowed by a neighbour.
        let mut per_call: BTreeMap<&str, f64> = BTreeMap::new();
        for _ in 0..LOOP_ROUNDS {
            for which in ["none", "host", "host_fn", "handwritten"] {
                let params = BTreeMap::from([
                    ("which".to_string(), Value::String(which.into())),
                    ("n".to_string(), Value::U64(LOOP_CALLS as u64)),
                ]);
                let micros = match pime::call(command("loop", params)).await? {
                    Some(Value::F64(nanos)) => nanos / 1000.0,
                    other => return Err(format!("the loop returned {other:?}").into()),
                };
                let fastest = per_call.entry(which).or_insert(f64::INFINITY);
                *fastest = fastest.min(micros);
            }
        }
        engine.stop().await?;
        BenchResult::Ok((per_command, per_call))
    })?;

    let scenario = format!("8 host call ({} calls)", sizes.latency_calls);
    let host_cost = per_call["host"] - per_call["none"];
    let handwritten_cost = per_call["handwritten"] - per_call["none"];
    let command_row = |metric, pick: fn(&Summary) -> std::time::Duration| Row {
        scenario: scenario.clone(),
        metric,
        pooled: Some(micros(pick(&per_command["host"]))),
        exclusive: None,
        floor: Some(micros(pick(&per_command["none"]))),
        naive: Some(micros(pick(&per_command["handwritten"]))),
    };
    Ok(Section {
        rows: vec![
            command_row("command mean µs", |s| s.mean),
            command_row("command p99 µs", |s| s.p99),
            Row {
                scenario: scenario.clone(),
                metric: "per call in a loop µs",
                pooled: Some(per_call["host"]),
                exclusive: Some(per_call["host_fn"]),
                floor: Some(per_call["none"]),
                naive: Some(per_call["handwritten"]),
            },
        ],
        targets: vec![Target::at_most(
            Source::HostCalls,
            "a host call to a no-op async fn vs the hand-written #[pyfunction] + block_on",
            host_cost / handwritten_cost,
            1.5,
        )],
        notes: vec![format!(
            "8: pooled = a #[pime::host_module] async fn (excl column: a plain fn), floor = \
             no host call, naive = a hand-written #[pyfunction] blocking on the runtime; a \
             host call costs {host_cost:.2} µs, the hand-written one {handwritten_cost:.2} µs \
             (the fastest of {LOOP_ROUNDS} loops of {LOOP_CALLS} calls each, minus the empty loop's)"
        )],
    })
}
