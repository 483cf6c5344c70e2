//! Scenario 4: a large payload round trip — a list of dicts goes in, the broker returns
//! it, it comes back as a `Value` — and resident memory across repeated calls.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_value::Value;

use crate::broker::Request;
use crate::drive::{self, BenchError, BenchResult};
use crate::machine::resident_mib;
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{millis, Summary};
use crate::{floor, naive, via_pime};

/// Resident memory may move by allocator noise, but not by a payload per call: the
/// payload is several MiB, so this much growth over all calls means no leak.
const FLAT_LIMIT_MIB: f64 = 8.0;

/// One contender's mean round trip and resident memory before and after its calls.
struct Measured {
    mean: Duration,
    before_mib: f64,
    after_mib: f64,
}

impl Measured {
    fn growth(&self) -> f64 {
        self.after_mib - self.before_mib
    }
}

pub fn run(context: &Context) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let request = Request::echo(sizes.payload_rows);
    let rows = &request.params["rows"];
    let (warmup, calls) = (sizes.payload_warmup, sizes.payload_calls);

    let (pooled, exclusive) = context.runtime.block_on(async {
        let engine = via_pime::start(None).await?;
        let measure = async |exclusive: bool| {
            check(
                rows,
                via_pime::call(via_pime::task(&request, exclusive)).await?,
            )?;
            measure_async(warmup, calls, || {
                via_pime::call_ok(via_pime::task(&request, exclusive))
            })
            .await
        };
        let pooled = measure(false).await?;
        let exclusive = measure(true).await?;
        engine.stop().await?;
        BenchResult::Ok((pooled, exclusive))
    })?;

    // The floor converts from the borrowed `Value`; it needs no clone at all.
    floor::sequential(&context.broker, &request, warmup)?;
    let before_mib = resident_mib();
    let floor_times = floor::sequential(&context.broker, &request, calls)?;
    let floor = Measured {
        mean: Summary::of(floor_times).mean,
        before_mib,
        after_mib: resident_mib(),
    };

    let naive = context.runtime.block_on(async {
        let broker = &context.broker;
        check(
            rows,
            naive::call(Arc::clone(broker), request.clone()).await?,
        )?;
        measure_async(warmup, calls, || {
            naive::call_ok(Arc::clone(broker), request.clone())
        })
        .await
    })?;

    let scenario = format!("4 payload ({} dicts) round trip", sizes.payload_rows);
    let ms = |m: &Measured| Some(millis(m.mean));
    let growth = |m: &Measured| Some(m.growth());
    let ratio = |m: &Measured| m.mean.as_secs_f64() / floor.mean.as_secs_f64();
    let flat = |label: &str, m: &Measured| Target {
        source: Source::Dispatch,
        goal: format!("{label} resident memory flat over {calls} payload calls"),
        measured: format!(
            "{:+.1} MiB ({:.1} -> {:.1}; limit {FLAT_LIMIT_MIB} MiB)",
            m.growth(),
            m.before_mib,
            m.after_mib
        ),
        met: m.growth() <= FLAT_LIMIT_MIB,
    };
    Ok(Section {
        rows: vec![
            Row {
                scenario: scenario.clone(),
                metric: "mean ms",
                pooled: ms(&pooled),
                exclusive: ms(&exclusive),
                floor: ms(&floor),
                naive: ms(&naive),
            },
            Row {
                scenario: format!("4 resident memory over {calls} calls"),
                metric: "growth MiB",
                pooled: growth(&pooled),
                exclusive: growth(&exclusive),
                floor: growth(&floor),
                naive: growth(&naive),
            },
        ],
        targets: vec![
            Target::at_most(
                Source::Dispatch,
                "pooled payload round trip (mean) vs floor",
                ratio(&pooled),
                1.5,
            ),
            Target::at_most(
                Source::Dispatch,
                "exclusive payload round trip (mean) vs floor",
                ratio(&exclusive),
                1.5,
            ),
            flat("PIME pooled", &pooled),
            flat("PIME exclusive", &exclusive),
        ],
        notes: vec![format!(
            "payload: each dict has an int, a float and two strs; the floor converts with the bench's plain converter on one thread; params are cloned before the clock starts; memory is VmRSS after {warmup} warm-up calls and after the {calls} measured ones."
        )],
    })
}

/// Warm-up calls, then `calls` measured ones, reading resident memory around them.
async fn measure_async<Fut>(
    warmup: usize,
    calls: usize,
    mut next: impl FnMut() -> Fut,
) -> BenchResult<Measured>
where
    Fut: Future<Output = BenchResult<()>>,
{
    drive::sequential(warmup, &mut next).await?;
    let before_mib = resident_mib();
    let times = drive::sequential(calls, &mut next).await?;
    Ok(Measured {
        mean: Summary::of(times).mean,
        before_mib,
        after_mib: resident_mib(),
    })
}

/// The round trip must give back exactly what went in, or the timing means nothing.
fn check(sent: &Value, received: Option<Value>) -> BenchResult<()> {
    if received.as_ref() == Some(sent) {
        Ok(())
    } else {
        Err(BenchError::from("the payload did not come back unchanged"))
    }
}
