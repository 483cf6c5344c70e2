//! Scenario 5: latency of a no-op call while N pool threads run CPU-bound pure-Python
//! loops (issue 4). Each busy thread holds the GIL until CPython's switch interval
//! forces it to hand over, so every GIL acquisition a call needs can cost up to one
//! switch interval per busy thread. Only PIME and the naive contender: a floor thread
//! that never lets the GIL go never waits for it.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::task::JoinHandle;

use crate::broker::Request;
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{millis, Summary};
use crate::{convert, naive, via_pime};

/// Time for the busy loops to start before measuring.
const SPIN_UP: Duration = Duration::from_millis(100);

pub fn run(context: &Context) -> BenchResult<Section> {
    let switch_interval = Python::attach(|py| -> PyResult<f64> {
        py.import("sys")?
            .getattr("getswitchinterval")?
            .call0()?
            .extract()
    })?;
    let mut section = Section::default();
    for &busy in &context.sizes.busy_threads {
        section.append(run_with(context, busy, switch_interval)?);
    }
    section.notes.push(format!(
        "busy rows: N threads loop in pure Python while no-op calls are timed one after another; PIME's pool has N + 2 workers; no floor (a thread that never lets the GIL go never waits for it); sys.getswitchinterval() = {} ms.",
        switch_interval * 1e3
    ));
    Ok(section)
}

fn run_with(context: &Context, busy: usize, switch_interval: f64) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let (warmup, calls) = (sizes.busy_warmup, sizes.busy_calls);
    let request = Request::noop();
    let pool = busy as u32 + 2;

    let (pooled, exclusive) = context.runtime.block_on(async {
        let engine = via_pime::start(Some((pool, pool))).await?;
        via_pime::call(via_pime::task(&Request::arm(), true)).await?;
        let spinners: Vec<_> = (0..busy)
            .map(|_| tokio::spawn(via_pime::call_ok(via_pime::task(&Request::spin(), false))))
            .collect();
        tokio::time::sleep(SPIN_UP).await;
        let measure = async |exclusive: bool| {
            let next = || via_pime::call_ok(via_pime::task(&request, exclusive));
            drive::sequential(warmup, next).await?;
            BenchResult::Ok(Summary::of(drive::sequential(calls, next).await?))
        };
        let pooled = measure(false).await?;
        let exclusive = measure(true).await?;
        via_pime::call(via_pime::task(&Request::release(), true)).await?;
        join(spinners).await?;
        engine.stop().await?;
        BenchResult::Ok((pooled, exclusive))
    })?;

    // The naive contender's busy threads are blocking tasks of the same runtime.
    direct_call(&context.broker, &Request::arm())?;
    let naive = context.runtime.block_on(async {
        let spinners: Vec<_> = (0..busy)
            .map(|_| tokio::spawn(naive::call_ok(Arc::clone(&context.broker), Request::spin())))
            .collect();
        tokio::time::sleep(SPIN_UP).await;
        let next = || naive::call_ok(Arc::clone(&context.broker), request.clone());
        drive::sequential(warmup, next).await?;
        let naive = Summary::of(drive::sequential(calls, next).await?);
        direct_call(&context.broker, &Request::release())?;
        join(spinners).await?;
        BenchResult::Ok(naive)
    })?;

    let scenario = format!("5 no-op, {busy} busy thread(s) ({calls} calls)");
    let row = |metric, pick: fn(&Summary) -> Duration| Row {
        scenario: scenario.clone(),
        metric,
        pooled: Some(millis(pick(&pooled))),
        exclusive: Some(millis(pick(&exclusive))),
        floor: None,
        naive: Some(millis(pick(&naive))),
    };
    let limit = switch_interval * busy as f64;
    let under = |label: &str, summary: &Summary| Target {
        source: Source::Issue4,
        goal: format!("{label} no-op p99, {busy} busy, < switch interval x {busy}"),
        measured: format!(
            "{:.2} ms (limit {:.1} ms)",
            millis(summary.p99),
            limit * 1e3
        ),
        met: summary.p99.as_secs_f64() < limit,
    };
    Ok(Section {
        rows: vec![row("p50 ms", |s| s.p50), row("p99 ms", |s| s.p99)],
        targets: vec![under("pooled", &pooled), under("exclusive", &exclusive)],
        notes: Vec::new(),
    })
}

/// One call on this thread, attaching for it (used to arm and release the busy loops).
fn direct_call(broker: &Py<PyAny>, request: &Request) -> BenchResult<()> {
    Python::attach(|py| {
        convert::call_broker(py, broker.bind(py), request.command, &request.params)
    })?;
    Ok(())
}

async fn join(spinners: Vec<JoinHandle<BenchResult<()>>>) -> BenchResult<()> {
    for spinner in spinners {
        spinner.await??;
    }
    Ok(())
}
