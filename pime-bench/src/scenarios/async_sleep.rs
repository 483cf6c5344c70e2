//! Scenario 7: an async command (`await asyncio.sleep(..)` in a coroutine the broker
//! returns), every call in flight at once, on a small pool. PIME awaits the
//! coroutines on its own event loop without holding a worker thread, so the wall time
//! should stay near one call's; the naive contender runs each coroutine with
//! `asyncio.run` on a blocking thread, so its threads take the calls a few at a time.

use std::sync::Arc;
use std::time::Duration;

use crate::broker::Request;
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::{naive, via_pime};

/// Issue 5: 1,000 async calls in flight finish within 3x of one call's time (1.8-2.5x
/// measured on the 2-core VM under a load average of 2-3).
const WALL_VS_IDEAL: f64 = 3.0;

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let (calls, pool, seconds) = (sizes.async_calls, sizes.async_pool, sizes.async_seconds);
    let request = Request::async_sleep(seconds);
    // Every call in flight at once and none holding a thread: one call's time.
    let ideal = seconds;
    // One round to start every thread, then the measured rounds; the median is reported.
    let rounds = 1 + sizes.async_rounds;

    let pooled = context.runtime.block_on(via_pime::median_wall_of_rounds(
        pool, rounds, calls, &request,
    ))?;

    // Same thread budget: naive's blocking pool gets as many threads as PIME's pool.
    // Each of its rounds takes calls ÷ pool × seconds (12.5 s for 1,000 calls on 4
    // threads), so it runs one round, after a warm-up of `pool` calls that starts
    // every thread.
    let naive_runtime = naive::runtime_with_blocking_threads(pool as usize)?;
    let naive = naive_runtime.block_on(async {
        let (broker, request) = (Arc::clone(&context.broker), request.clone());
        let next = move || naive::call_coroutine_ok(Arc::clone(&broker), request.clone());
        let warmup = pool as usize;
        drive::concurrent(warmup, warmup, next.clone()).await?;
        drive::concurrent(calls, calls, next).await
    })?;
    drop(naive_runtime);

    let secs = Duration::as_secs_f64;
    Ok(Section {
        rows: vec![Row {
            scenario: format!("7 {calls} x async sleep({seconds}), pool {pool}"),
            metric: "wall s",
            pooled: Some(secs(&pooled)),
            exclusive: None,
            floor: Some(ideal),
            naive: Some(secs(&naive)),
        }],
        targets: vec![Target::at_most(
            Source::AsyncCommands,
            format!("{calls} async calls in flight vs one call's {ideal:.3} s"),
            secs(&pooled) / ideal,
            WALL_VS_IDEAL,
        )],
        notes: vec![format!(
            "async row: the broker returns a coroutine that awaits asyncio.sleep({seconds}); all {calls} calls in flight at once; PIME's pool is ({pool}, {pool}) and the coroutines run on its event loop without holding a worker; floor = the ideal wall time {ideal:.3} s (one call's); naive = spawn_blocking + Python::attach + asyncio.run(broker(..)) per call on a runtime with max_blocking_threads({pool}) (the same thread budget), one round after {pool} warm-up calls (a round takes at least {:.1} s); PIME: median of {} rounds after one warm-up round.",
            (calls as f64 / f64::from(pool)).ceil() * seconds,
            sizes.async_rounds
        )],
    })
}
