//! Scenario 9: mixed load on a pool sized for blocking I/O. 100 callers loop on a
//! broker call that sleeps 10 ms (`time.sleep`, GIL released), keeping every worker
//! busy most of the time, while one caller makes sequential no-op calls: their
//! latency shows whether a quick call waits behind the sleeping ones, or for a
//! hundred woken workers to take turns at the GIL.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::task::JoinSet;

use crate::broker::Request;
use crate::drive::{self, BenchError, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{micros, Summary};
use crate::{naive, via_pime};

/// Workers of PIME's pool and threads of naive's blocking pool; also the number of
/// sleeping callers.
const POOL: u32 = 100;

/// What each sleeping call sleeps, in seconds.
const SLEEP: f64 = 0.01;

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let pime = context.runtime.block_on(async {
        let engine = via_pime::start(Some((POOL, POOL))).await?;
        let sleep = Request::sleep(SLEEP);
        let noop = Request::noop();
        let summary = measure(
            sizes.mixed_calls,
            move || via_pime::call_ok(via_pime::task(&sleep, false)),
            move || via_pime::call_ok(via_pime::task(&noop, false)),
        )
        .await;
        engine.stop().await?;
        summary
    })?;

    let runtime = naive::runtime_with_blocking_threads(POOL as usize)?;
    let (sleep_broker, noop_broker) = (Arc::clone(&context.broker), Arc::clone(&context.broker));
    let naive = runtime.block_on(measure(
        sizes.mixed_calls,
        move || naive::call_ok(Arc::clone(&sleep_broker), Request::sleep(SLEEP)),
        move || naive::call_ok(Arc::clone(&noop_broker), Request::noop()),
    ))?;
    drop(runtime);

    let scenario = format!(
        "9 mixed: {POOL} callers x sleep({SLEEP}), pool {POOL}, no-op ({} calls)",
        sizes.mixed_calls
    );
    let row = |metric, pick: fn(&Summary) -> std::time::Duration| Row {
        scenario: scenario.clone(),
        metric,
        pooled: Some(micros(pick(&pime))),
        exclusive: None,
        floor: None,
        naive: Some(micros(pick(&naive))),
    };
    Ok(Section {
        rows: vec![
            row("mean µs", |s| s.mean),
            row("p50 µs", |s| s.p50),
            row("p99 µs", |s| s.p99),
        ],
        targets: vec![Target {
            source: Source::AnyPool,
            goal: format!("mixed: no-op p99 beside {POOL} sleeping callers, pool {POOL}"),
            measured: format!("{:.3} ms (limit 1 ms)", pime.p99.as_secs_f64() * 1e3),
            met: pime.p99.as_secs_f64() <= 1e-3,
        }],
        notes: vec![format!(
            "mixed row: {POOL} tokio tasks each call sleep({SLEEP}) in a loop while one makes the timed no-op calls one after another; naive on a runtime with max_blocking_threads({POOL})."
        )],
    })
}

/// Starts [`POOL`] callers looping on `sleep`, times `calls` sequential `noop` calls
/// (after a warm-up tenth), then stops the sleepers and waits for them.
async fn measure<S, SF, N, NF>(calls: usize, sleep: S, noop: N) -> BenchResult<Summary>
where
    S: Fn() -> SF + Send + Sync + 'static,
    SF: Future<Output = BenchResult<()>> + Send + 'static,
    N: Fn() -> NF,
    NF: Future<Output = BenchResult<()>>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let sleep = Arc::new(sleep);
    let mut sleepers = JoinSet::new();
    for _ in 0..POOL {
        let (stop, sleep) = (Arc::clone(&stop), Arc::clone(&sleep));
        sleepers.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                sleep().await?;
            }
            Ok::<(), BenchError>(())
        });
    }
    // Every worker is sleeping by then.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let warmed = drive::sequential(calls / 10, &noop).await;
    let times = match warmed {
        Ok(_) => drive::sequential(calls, &noop).await,
        Err(e) => Err(e),
    };
    stop.store(true, Ordering::Relaxed);
    while let Some(sleeper) = sleepers.join_next().await {
        sleeper??;
    }
    Ok(Summary::of(times?))
}
