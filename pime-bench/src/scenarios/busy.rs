//! Scenario 5: latency of a no-op call while N pool threads run CPU-bound pure-Python
//! loops, and what the calls cost those loops.
//!
//! Each busy thread holds the GIL until CPython's switch interval forces it to hand
//! over, so a call waits for the GIL behind them. Calls arrive one at a time, [`PAUSE`]
//! apart, so each finds a busy thread holding the GIL (back to back, the thread that
//! just ran a call often takes the GIL again before a busy thread wakes, which hides
//! the wait). PIME runs twice: with its prompt GIL hand-off (the default) and without
//! (`gil_request_interval(None)`), so one run shows what the hand-off buys and costs.
//! Only PIME and the naive contender: a floor thread that never lets the GIL go never
//! waits for it.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use serde_value::Value;
use tokio::task::JoinHandle;

use crate::broker::Request;
use crate::config::Sizes;
use crate::drive::{self, BenchResult};
use crate::report::{Row, Section, Source, Target};
use crate::scenarios::Context;
use crate::stats::{millis, Summary};
use crate::{convert, naive, via_pime};

/// Time for the busy loops to start before measuring.
const SPIN_UP: Duration = Duration::from_millis(100);

/// Untimed wait before each measured call.
const PAUSE: Duration = Duration::from_millis(1);

/// One contender's calls while the loops spin, and how fast the loops went.
struct Session {
    calls: Summary,
    /// Iterations of the busy loops per second, in millions (all threads together).
    loop_rate: f64,
}

/// PIME's pooled and exclusive sessions with one engine configuration.
struct PimeSessions {
    pooled: Session,
    exclusive: Session,
}

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
        "busy rows: N threads loop in pure Python while no-op calls are timed one at a time, {} ms apart; PIME's pool has N + 2 workers; \"no hand-off\" rows: PIME with gil_request_interval(None); \"busy loops\" rows: the loops' iterations per second (millions, all threads) while the calls run; no floor (a thread that never lets the GIL go never waits for it); sys.getswitchinterval() = {} ms.",
        PAUSE.as_millis(),
        switch_interval * 1e3
    ));
    Ok(section)
}

fn run_with(context: &Context, busy: usize, switch_interval: f64) -> BenchResult<Section> {
    let sizes = &context.sizes;
    let (prompt, plain) = context.runtime.block_on(async {
        let prompt = pime_sessions(sizes, busy, Some(pime::DEFAULT_GIL_REQUEST_INTERVAL)).await?;
        let plain = pime_sessions(sizes, busy, None).await?;
        BenchResult::Ok((prompt, plain))
    })?;
    let naive = context.runtime.block_on(naive_session(context, busy))?;

    let scenario = format!(
        "5 no-op, {busy} busy thread(s) ({} calls)",
        sizes.busy_calls
    );
    let row = |metric, pime: &PimeSessions, pick: fn(&Session) -> f64| Row {
        scenario: scenario.clone(),
        metric,
        pooled: Some(pick(&pime.pooled)),
        exclusive: Some(pick(&pime.exclusive)),
        floor: None,
        naive: Some(pick(&naive)),
    };
    let p50 = |s: &Session| millis(s.calls.p50);
    let p99 = |s: &Session| millis(s.calls.p99);
    let loop_rate = |s: &Session| s.loop_rate;
    let rows = vec![
        row("p50 ms", &prompt, p50),
        row("p99 ms", &prompt, p99),
        row("busy loops M/s", &prompt, loop_rate),
        row("p50 ms, no hand-off", &plain, p50),
        row("p99 ms, no hand-off", &plain, p99),
        row("busy loops M/s, no hand-off", &plain, loop_rate),
    ];

    let limit = switch_interval * busy as f64;
    let under = |label: &str, session: &Session| Target {
        source: Source::CpuLoad,
        goal: format!("{label} no-op p99, {busy} busy, < switch interval x {busy}"),
        measured: format!(
            "{:.2} ms (limit {:.1} ms)",
            millis(session.calls.p99),
            limit * 1e3
        ),
        met: session.calls.p99.as_secs_f64() < limit,
    };
    Ok(Section {
        rows,
        targets: vec![
            under("pooled", &prompt.pooled),
            under("exclusive", &prompt.exclusive),
        ],
        notes: Vec::new(),
    })
}

/// Starts an engine with `gil_request_interval`, and measures pooled then exclusive
/// calls, each against freshly started busy loops.
async fn pime_sessions(
    sizes: &Sizes,
    busy: usize,
    gil_request_interval: Option<Duration>,
) -> BenchResult<PimeSessions> {
    let pool = busy as u32 + 2;
    let engine = via_pime::builder(Some((pool, pool)))
        .gil_request_interval(gil_request_interval)
        .start()
        .await?;
    let session = async |exclusive: bool| {
        let control = |request: Request| async move {
            via_pime::call(via_pime::task(&request, true))
                .await
                .map(drop)
        };
        let spin = || via_pime::call(via_pime::task(&Request::spin(), false));
        let noop = Request::noop();
        let next = || via_pime::call_ok(via_pime::task(&noop, exclusive));
        control(Request::arm()).await?;
        measure(sizes, busy, spin, next, || control(Request::release())).await
    };
    let pooled = session(false).await?;
    let exclusive = session(true).await?;
    engine.stop().await?;
    Ok(PimeSessions { pooled, exclusive })
}

/// The naive contender's session: its busy threads are blocking tasks of the runtime.
async fn naive_session(context: &Context, busy: usize) -> BenchResult<Session> {
    let broker = &context.broker;
    direct_call(broker, &Request::arm())?;
    let spin = || naive::call(Arc::clone(broker), Request::spin());
    let noop = Request::noop();
    let next = || naive::call_ok(Arc::clone(broker), noop.clone());
    let release = || async { direct_call(broker, &Request::release()) };
    measure(&context.sizes, busy, spin, next, release).await
}

/// Starts `busy` spinning calls, times the no-op calls `next` makes, releases the
/// loops and counts what they did.
async fn measure<Spin, Call, Release>(
    sizes: &Sizes,
    busy: usize,
    spin: impl Fn() -> Spin,
    next: impl FnMut() -> Call,
    release: impl FnOnce() -> Release,
) -> BenchResult<Session>
where
    Spin: Future<Output = BenchResult<Option<Value>>> + Send + 'static,
    Call: Future<Output = BenchResult<()>>,
    Release: Future<Output = BenchResult<()>>,
{
    let started = Instant::now();
    let spinners: Vec<_> = (0..busy).map(|_| tokio::spawn(spin())).collect();
    tokio::time::sleep(SPIN_UP).await;
    let mut next = next;
    drive::spaced(sizes.busy_warmup, PAUSE, &mut next).await?;
    let times = drive::spaced(sizes.busy_calls, PAUSE, &mut next).await;
    // Release the loops even when a call failed, so their threads end.
    let released = release().await;
    let spun = started.elapsed();
    let iterations = join(spinners).await?;
    released?;
    Ok(Session {
        calls: Summary::of(times?),
        loop_rate: iterations / spun.as_secs_f64() / 1e6,
    })
}

/// One call on this thread, attaching for it (used to arm and release the busy loops).
fn direct_call(broker: &Py<PyAny>, request: &Request) -> BenchResult<()> {
    Python::attach(|py| {
        convert::call_broker(py, broker.bind(py), request.command, &request.params)
    })?;
    Ok(())
}

/// Waits for the spinning calls and adds up their loop iterations.
async fn join(spinners: Vec<JoinHandle<BenchResult<Option<Value>>>>) -> BenchResult<f64> {
    let mut total = 0.0;
    for spinner in spinners {
        total += match spinner.await?? {
            Some(Value::I64(n)) => n as f64,
            Some(Value::U64(n)) => n as f64,
            other => return Err(format!("spin returned {other:?}, not a count").into()),
        };
    }
    Ok(total)
}
