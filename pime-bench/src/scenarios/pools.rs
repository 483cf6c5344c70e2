//! Scenario 8: PIME at several pool sizes against naive with a blocking pool of the
//! same size: throughput with many no-op calls in flight, and sequential no-op
//! latency. A big pool (sized for blocking I/O) must cost no-op calls little: its
//! idle workers must not all contend for the GIL.

use std::sync::Arc;
use std::time::Duration;

use crate::broker::Request;
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{micros, rate, Summary};
use crate::{floor, hop, naive, via_pime};

/// Throughput passes per PIME pool size, per hop and for the floor, the fastest
/// counting: a pass takes a tenth of a second, short enough for another process's
/// burst on this shared machine to halve it. (Naive's one pass takes seconds.)
const PASSES: usize = 3;

/// The fastest of [`PASSES`] runs of `pass`.
fn fastest(mut pass: impl FnMut() -> BenchResult<Duration>) -> BenchResult<Duration> {
    let mut best = pass()?;
    for _ in 1..PASSES {
        best = best.min(pass()?);
    }
    Ok(best)
}

/// [`fastest`] for `calls` calls made by `next`, `in_flight` at a time.
async fn fastest_concurrent<F, Fut>(
    calls: usize,
    in_flight: usize,
    next: F,
) -> BenchResult<Duration>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = BenchResult<()>> + Send + 'static,
{
    let mut best = drive::concurrent(calls, in_flight, next.clone()).await?;
    for _ in 1..PASSES {
        best = best.min(drive::concurrent(calls, in_flight, next.clone()).await?);
    }
    Ok(best)
}

/// What one contender measured at one pool size.
struct Figures {
    calls_per_second: f64,
    latency: Summary,
}

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let default = pime_figures(context, None)?;
    let request = Request::noop();
    floor::total(&context.broker, &request, sizes.pool_calls / 10)?;
    let floor_rate = rate(
        sizes.pool_calls,
        fastest(|| floor::total(&context.broker, &request, sizes.pool_calls))?,
    );

    let hop_rate = hop_figures(context, hop::Hop::start()?)?;
    let python_hop_rate = hop_figures(
        context,
        hop::Hop::start_python(Arc::clone(&context.broker), Request::noop())?,
    )?;

    let mut section = Section::default();
    let mut at_largest = None;
    for &pool in &sizes.pool_sizes {
        let pime = pime_figures(context, Some(pool))?;
        let naive = naive_figures(context, pool as usize)?;
        section.rows.extend(rows(pool, &pime, &naive));
        at_largest = Some((pool, pime, naive));
    }
    let (calls, in_flight) = (sizes.pool_calls, sizes.in_flight);
    section.rows.push(Row {
        scenario: format!("8 default pool ({calls} calls, {in_flight} in flight)"),
        metric: "calls/s",
        pooled: Some(default.calls_per_second),
        exclusive: None,
        floor: Some(floor_rate),
        naive: None,
    });
    section.rows.push(Row {
        scenario: format!("8 Rust-only hop, no Python ({calls} calls, {in_flight} in flight)"),
        metric: "calls/s",
        pooled: Some(hop_rate),
        exclusive: None,
        floor: Some(floor_rate),
        naive: None,
    });
    section.rows.push(Row {
        scenario: format!("8 hop + the floor's call ({calls} calls, {in_flight} in flight)"),
        metric: "calls/s",
        pooled: Some(python_hop_rate),
        exclusive: None,
        floor: Some(floor_rate),
        naive: None,
    });
    section.targets.extend([
        Target::at_least(
            Source::AnyPool,
            "default pool throughput vs the floor's sequential rate",
            default.calls_per_second / floor_rate,
            0.25,
        ),
        Target::at_least(
            Source::Extra,
            "a Rust-only thread hop (no Python) vs the floor's sequential rate",
            hop_rate / floor_rate,
            0.25,
        ),
        Target::at_least(
            Source::Extra,
            "the hop + the floor's call (no PIME) vs the floor's sequential rate",
            python_hop_rate / floor_rate,
            0.25,
        ),
        Target::at_least(
            Source::Extra,
            "default pool throughput vs the Rust-only thread hop",
            default.calls_per_second / hop_rate,
            0.25,
        ),
        Target::at_least(
            Source::Extra,
            "default pool throughput vs the hop + the floor's call",
            default.calls_per_second / python_hop_rate,
            0.8,
        ),
    ]);
    if let Some((pool, pime, naive)) = at_largest {
        section.targets.extend([
            Target::at_least(
                Source::AnyPool,
                format!("pool {pool} throughput vs the default pool's"),
                pime.calls_per_second / default.calls_per_second,
                0.8,
            ),
            Target::at_least(
                Source::AnyPool,
                format!("pool {pool} throughput vs naive max_blocking_threads({pool})"),
                pime.calls_per_second / naive.calls_per_second,
                15.0,
            ),
            Target::at_most(
                Source::AnyPool,
                format!("pool {pool} no-op latency (mean) vs naive's"),
                pime.latency.mean.as_secs_f64() / naive.latency.mean.as_secs_f64(),
                0.3,
            ),
            Target::at_most(
                Source::AnyPool,
                format!("pool {pool} no-op latency p99 vs its own p50"),
                pime.latency.p99.as_secs_f64() / pime.latency.p50.as_secs_f64(),
                3.0,
            ),
        ]);
    }
    section.notes.push(format!(
        "pool rows: PIME with .thread_pool(N, N), naive on a runtime with max_blocking_threads(N); throughput with {in_flight} no-op calls in flight ({calls} calls after a warm-up pass; PIME, the hops and the floor: the fastest of {PASSES} passes), latency over {} sequential calls; the default-pool row's floor is the floor's sequential rate; the Rust-only hop: 1000 tokio tasks send to one plain thread that answers each through a oneshot at once (no Python: the dispatch any thread hop pays); the hop + the floor's call: the same, the thread holding the GIL while requests are queued and making the floor's call for each (params converted, broker called, result converted back): the least any design with a thread hop can cost.",
        sizes.pool_latency_calls
    ));
    Ok(section)
}

fn rows(pool: u32, pime: &Figures, naive: &Figures) -> Vec<Row> {
    let scenario = format!("8 pool {pool}");
    let row = |metric, pime: f64, naive: f64| Row {
        scenario: scenario.clone(),
        metric,
        pooled: Some(pime),
        exclusive: None,
        floor: None,
        naive: Some(naive),
    };
    let latency = |pick: fn(&Summary) -> Duration| {
        (micros(pick(&pime.latency)), micros(pick(&naive.latency)))
    };
    let (mean, p50, p99) = (latency(|s| s.mean), latency(|s| s.p50), latency(|s| s.p99));
    vec![
        row("calls/s", pime.calls_per_second, naive.calls_per_second),
        row("mean µs", mean.0, mean.1),
        row("p50 µs", p50.0, p50.1),
        row("p99 µs", p99.0, p99.1),
    ]
}

/// PIME's figures with a pool of `pool` workers, all started up front (`None`: the
/// default pool).
fn pime_figures(context: &Context, pool: Option<u32>) -> BenchResult<Figures> {
    let sizes = &context.sizes;
    context.runtime.block_on(async {
        let engine = via_pime::start(pool.map(|n| (n, n))).await?;
        let request = Request::noop();
        let next = move || via_pime::call_ok(via_pime::task(&request, false));
        let (calls, in_flight) = (sizes.pool_calls, sizes.in_flight);
        drive::concurrent((calls / 10).max(in_flight), in_flight, next.clone()).await?;
        let wall = fastest_concurrent(calls, in_flight, next.clone()).await?;
        drive::sequential(sizes.latency_warmup, &next).await?;
        let latency = Summary::of(drive::sequential(sizes.pool_latency_calls, &next).await?);
        engine.stop().await?;
        BenchResult::Ok(Figures {
            calls_per_second: rate(calls, wall),
            latency,
        })
    })
}

/// Calls/s of `hop` with the same calls in flight.
fn hop_figures(context: &Context, hop: hop::Hop) -> BenchResult<f64> {
    let sizes = &context.sizes;
    let hop = std::sync::Arc::new(hop);
    let (calls, in_flight) = (sizes.pool_calls, sizes.in_flight);
    let wall = context.runtime.block_on(async {
        let next = {
            let hop = std::sync::Arc::clone(&hop);
            move || hop.call()
        };
        drive::concurrent((calls / 10).max(in_flight), in_flight, next.clone()).await?;
        fastest_concurrent(calls, in_flight, next).await
    })?;
    std::sync::Arc::into_inner(hop)
        .ok_or("the hop is still shared")?
        .stop()?;
    Ok(rate(calls, wall))
}

/// The naive contender's figures on a runtime whose blocking pool has `threads`.
fn naive_figures(context: &Context, threads: usize) -> BenchResult<Figures> {
    let sizes = &context.sizes;
    let runtime = naive::runtime_with_blocking_threads(threads)?;
    let broker = Arc::clone(&context.broker);
    let figures = runtime.block_on(async {
        let request = Request::noop();
        let next = move || naive::call_ok(Arc::clone(&broker), request.clone());
        let (calls, in_flight) = (sizes.pool_calls, sizes.in_flight);
        drive::concurrent((calls / 10).max(in_flight), in_flight, next.clone()).await?;
        let wall = fastest_concurrent(calls, in_flight, next.clone()).await?;
        drive::sequential(sizes.latency_warmup, &next).await?;
        let latency = Summary::of(drive::sequential(sizes.pool_latency_calls, &next).await?);
        BenchResult::Ok(Figures {
            calls_per_second: rate(calls, wall),
            latency,
        })
    })?;
    drop(runtime);
    Ok(figures)
}
