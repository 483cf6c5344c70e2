//! Scenario 2: throughput with many calls in flight at once (calls/s).

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::broker::Request;
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::rate;
use crate::{floor, naive, via_pime};

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let (calls, in_flight) = (sizes.throughput_calls, sizes.in_flight);
    // A short pass first (threads spawned, code paths warm), then the measured one.
    let warmup = (calls / 10).max(in_flight);

    let (pooled, exclusive) = context.runtime.block_on(async {
        let engine = via_pime::start(None).await?;
        let measure = async |exclusive: bool| {
            let request = Request::noop();
            let next = move || via_pime::call_ok(via_pime::task(&request, exclusive));
            drive::concurrent(warmup, in_flight, next.clone()).await?;
            drive::concurrent(calls, in_flight, next).await
        };
        let pooled = measure(false).await?;
        let exclusive = measure(true).await?;
        engine.stop().await?;
        BenchResult::<(Duration, Duration)>::Ok((pooled, exclusive))
    })?;

    // One thread holding the GIL is the ceiling: Python runs one call at a time anyway.
    let request = Request::noop();
    floor::total(&context.broker, &request, warmup)?;
    let floor = floor::total(&context.broker, &request, calls)?;

    let naive_on = |runtime: &Runtime| {
        let (broker, request) = (Arc::clone(&context.broker), request.clone());
        runtime.block_on(async {
            let next = move || naive::call_ok(Arc::clone(&broker), request.clone());
            drive::concurrent(warmup, in_flight, next.clone()).await?;
            drive::concurrent(calls, in_flight, next).await
        })
    };
    let naive = naive_on(&context.runtime)?;
    // What a careful user does: a blocking pool no bigger than the cores, so the
    // threads do not fight over the GIL (the "careful" naive, ~34k calls/s).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let tuned_runtime = naive::runtime_with_blocking_threads(cores)?;
    let tuned = naive_on(&tuned_runtime)?;
    drop(tuned_runtime);

    let (pooled, exclusive) = (rate(calls, pooled), rate(calls, exclusive));
    let row = |scenario: String, naive: Duration| Row {
        scenario,
        metric: "calls/s",
        pooled: Some(pooled),
        exclusive: Some(exclusive),
        floor: Some(rate(calls, floor)),
        naive: Some(rate(calls, naive)),
    };
    Ok(Section {
        rows: vec![
            row(format!("2 throughput ({calls} calls, {in_flight} in flight)"), naive),
            row(format!("2 same, naive max_blocking_threads({cores})"), tuned),
        ],
        targets: vec![
            Target::at_least(
                Source::Dispatch,
                format!("pooled throughput, {in_flight} in flight, vs naive"),
                pooled / rate(calls, naive),
                3.0,
            ),
            Target::at_least(
                Source::Extra,
                format!("pooled throughput vs naive with max_blocking_threads({cores})"),
                pooled / rate(calls, tuned),
                3.0,
            ),
        ],
        notes: vec![
            "throughput: floor = one thread holding the GIL calling in a loop (Python runs one call at a time)."
                .into(),
        ],
    })
}
