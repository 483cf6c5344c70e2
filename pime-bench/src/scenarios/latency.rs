//! Scenario 1: sequential latency of a no-op call (mean, p50, p99).

use std::sync::Arc;

use crate::broker::Request;
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{micros, Summary};
use crate::{floor, naive, via_pime};

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let request = Request::noop();

    let (pooled, exclusive) = context.runtime.block_on(async {
        let engine = via_pime::start(None).await?;
        let measure = async |exclusive: bool| {
            let next = || via_pime::call_ok(via_pime::task(&request, exclusive));
            drive::sequential(sizes.latency_warmup, next).await?;
            drive::sequential(sizes.latency_calls, next).await
        };
        let pooled = measure(false).await?;
        let exclusive = measure(true).await?;
        engine.stop().await?;
        BenchResult::Ok((Summary::of(pooled), Summary::of(exclusive)))
    })?;

    floor::sequential(&context.broker, &request, sizes.latency_warmup)?;
    let floor = Summary::of(floor::sequential(
        &context.broker,
        &request,
        sizes.latency_calls,
    )?);

    let naive = context.runtime.block_on(async {
        let next = || naive::call_ok(Arc::clone(&context.broker), request.clone());
        drive::sequential(sizes.latency_warmup, next).await?;
        BenchResult::Ok(Summary::of(
            drive::sequential(sizes.latency_calls, next).await?,
        ))
    })?;

    let scenario = format!("1 no-op latency ({} calls)", sizes.latency_calls);
    let row = |metric, pick: fn(&Summary) -> std::time::Duration| Row {
        scenario: scenario.clone(),
        metric,
        pooled: Some(micros(pick(&pooled))),
        exclusive: Some(micros(pick(&exclusive))),
        floor: Some(micros(pick(&floor))),
        naive: Some(micros(pick(&naive))),
    };
    let ratio = |pime: &Summary| pime.mean.as_secs_f64() / naive.mean.as_secs_f64();
    Ok(Section {
        rows: vec![
            row("mean µs", |s| s.mean),
            row("p50 µs", |s| s.p50),
            row("p99 µs", |s| s.p99),
        ],
        targets: vec![
            Target::at_most(
                Source::Dispatch,
                "pooled no-op latency (mean) vs naive",
                ratio(&pooled),
                1.5,
            ),
            Target::at_most(
                Source::Dispatch,
                "exclusive no-op latency (mean) vs naive",
                ratio(&exclusive),
                1.0,
            ),
        ],
        notes: Vec::new(),
    })
}
