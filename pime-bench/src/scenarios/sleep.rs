//! Scenario 3: many blocking `time.sleep` calls in parallel on a fixed pool
//! (wall time against the ideal: calls ÷ pool × seconds).

use std::sync::Arc;
use std::time::Duration;

use crate::broker::Request;
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::median;
use crate::{naive, via_pime};

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let (calls, pool, seconds) = (sizes.sleep_calls, sizes.sleep_pool, sizes.sleep_seconds);
    let request = Request::sleep(seconds);
    let ideal = (calls as f64 / f64::from(pool)).ceil() * seconds;
    // One round to start every thread, then the measured rounds; the median is reported.
    let rounds = 1 + sizes.sleep_rounds;

    let pooled = context.runtime.block_on(via_pime::median_wall_of_rounds(
        pool, rounds, calls, &request,
    ))?;

    // Fair to naive: its blocking pool gets the same number of threads as PIME's pool.
    let naive_runtime = naive::runtime_with_blocking_threads(pool as usize)?;
    let naive = naive_runtime.block_on(async {
        let mut walls = Vec::new();
        for _ in 0..rounds {
            let (broker, request) = (Arc::clone(&context.broker), request.clone());
            let next = move || naive::call_ok(Arc::clone(&broker), request.clone());
            walls.push(drive::concurrent(calls, calls, next).await?);
        }
        BenchResult::Ok(median(walls[1..].to_vec()))
    })?;
    drop(naive_runtime);

    let secs = Duration::as_secs_f64;
    Ok(Section {
        rows: vec![Row {
            scenario: format!("3 {calls} x sleep({seconds}), pool {pool}"),
            metric: "wall s",
            pooled: Some(secs(&pooled)),
            exclusive: None,
            floor: Some(ideal),
            naive: Some(secs(&naive)),
        }],
        targets: vec![Target::at_most(
            Source::Dispatch,
            format!("{calls} parallel sleeps vs the ideal {ideal:.3} s"),
            secs(&pooled) / ideal,
            1.1,
        )],
        notes: vec![format!(
            "sleep row: floor = the ideal wall time {ideal:.3} s; naive runs on a runtime with max_blocking_threads({pool}); median of {} rounds after one warm-up round.",
            sizes.sleep_rounds
        )],
    })
}
