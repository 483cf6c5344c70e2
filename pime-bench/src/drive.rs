//! Drives async calls the same way for every async contender: one after another
//! (timing each), or many in flight at once (timing the whole batch).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

/// Any failure of the benchmark itself (a broker error is one: the run is invalid).
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;
pub type BenchResult<T> = Result<T, BenchError>;

/// Makes `calls` calls one after another and returns the time of each.
///
/// `next` builds the call before the clock starts, so preparing its input (cloning
/// the params) is not timed, for any contender.
pub async fn sequential<Fut>(calls: usize, next: impl FnMut() -> Fut) -> BenchResult<Vec<Duration>>
where
    Fut: Future<Output = BenchResult<()>>,
{
    spaced(calls, Duration::ZERO, next).await
}

/// [`sequential`], waiting `pause` (untimed) before each call.
pub async fn spaced<Fut>(
    calls: usize,
    pause: Duration,
    mut next: impl FnMut() -> Fut,
) -> BenchResult<Vec<Duration>>
where
    Fut: Future<Output = BenchResult<()>>,
{
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let call = next();
        let started = Instant::now();
        call.await?;
        times.push(started.elapsed());
    }
    Ok(times)
}

/// Makes `calls` calls with `in_flight` of them outstanding at any time (one tokio
/// task per lane, each making its share one after another); returns the wall time.
pub async fn concurrent<F, Fut>(calls: usize, in_flight: usize, next: F) -> BenchResult<Duration>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BenchResult<()>> + Send + 'static,
{
    let next = Arc::new(next);
    let mut lanes = JoinSet::new();
    let started = Instant::now();
    for lane in 0..in_flight {
        let share = calls / in_flight + usize::from(lane < calls % in_flight);
        let next = Arc::clone(&next);
        lanes.spawn(async move {
            for _ in 0..share {
                next().await?;
            }
            Ok::<(), BenchError>(())
        });
    }
    while let Some(lane) = lanes.join_next().await {
        lane??;
    }
    Ok(started.elapsed())
}
