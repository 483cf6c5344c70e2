//! The PIME contender: an engine started with the builder, and `pime::call`.

use serde_value::Value;

use crate::broker::{self, Request};
use crate::drive::BenchResult;

/// Starts an engine on `benchmod.broker` with `pool` = (min, max) workers, or PIME's
/// default pool when `None`.
pub async fn start(pool: Option<(u32, u32)>) -> pime::Result<pime::Engine> {
    builder(pool).start().await
}

/// The builder [`start`] uses, to change more settings before starting.
pub fn builder(pool: Option<(u32, u32)>) -> pime::EngineBuilder {
    let builder = pime::Engine::builder()
        .import_path(broker::module_dir())
        .broker(broker::MODULE, broker::ATTRIBUTE);
    match pool {
        Some((min, max)) => builder.thread_pool(min, max),
        None => builder,
    }
}

/// Starts an engine on `benchmod.broker` that runs tasks on the executor
/// `benchmod.<factory>()` returns instead of PIME's pool.
pub async fn start_on_executor(factory: &str) -> pime::Result<pime::Engine> {
    pime::Engine::builder()
        .import_path(broker::module_dir())
        .executor(broker::MODULE, factory)
        .broker(broker::MODULE, broker::ATTRIBUTE)
        .start()
        .await
}

/// Ends the worker processes of `benchmod.process_pool()` (the engine leaves a user's
/// executor running when it stops).
pub fn shutdown_process_pool() -> BenchResult<()> {
    use pyo3::prelude::*;
    Python::attach(|py| {
        py.import(broker::MODULE)?
            .getattr(broker::SHUTDOWN_PROCESS_POOL)?
            .call0()
            .map(drop)
    })?;
    Ok(())
}

/// One call through the engine.
pub async fn call(task: pime::PyTask) -> BenchResult<Option<Value>> {
    Ok(pime::call(task).await?)
}

/// [`call`], keeping only whether it succeeded.
pub async fn call_ok(task: pime::PyTask) -> BenchResult<()> {
    call(task).await.map(drop)
}

/// The task for `request` (its params cloned), pooled or inline on the engine thread.
pub fn task(request: &Request, exclusive: bool) -> pime::PyTask {
    let mut task = pime::PyTask::new(
        Value::String(request.command.into()),
        request.params.clone(),
    );
    if exclusive {
        task.mark_exclusive();
    }
    task
}

/// Starts an engine with a pool of `pool` threads, runs `rounds` rounds of `calls`
/// concurrent `request`s, stops it, and returns the median wall time of all rounds but
/// the first (which starts every thread).
pub async fn median_wall_of_rounds(
    pool: u32,
    rounds: usize,
    calls: usize,
    request: &crate::broker::Request,
) -> crate::drive::BenchResult<std::time::Duration> {
    let engine = start(Some((pool, pool))).await?;
    let mut walls = Vec::new();
    for _ in 0..rounds {
        let request = request.clone();
        let next = move || call_ok(task(&request, false));
        walls.push(crate::drive::concurrent(calls, calls, next).await?);
    }
    engine.stop().await?;
    Ok(crate::stats::median(walls[1..].to_vec()))
}
