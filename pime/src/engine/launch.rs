//! One launch of the engine, start to stop: claim the process's engine slot, start
//! the pool, go online, serve, then the stop sequence.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use pyo3::prelude::*;
use tokio::sync::{mpsc, watch};

use super::config::Config;
use super::engine_loop::broker_origin;
use super::engine_loop::EngineLoop;
use super::pools::{self, Started};
use super::state::{self, Launch};
use crate::error::{Error, Result};
use crate::host;
use crate::jobs::{check_callable, InFlight, JobSettings, SharedBroker};
use crate::pool::gil_handoff;

/// Runs the engine on this thread until a stop request, then stops it: refuses new
/// calls, fails what is still queued for the engine thread, and waits for the running
/// tasks (and, with the built-in pool, the queued ones) — until the stop deadline, if
/// there is one.
pub(crate) fn run(
    py: Python<'_>,
    config: &Config,
    executor: Option<&Py<PyAny>>,
    origin: Option<(String, String)>,
    broker: &Bound<'_, PyAny>,
    on_online: impl FnOnce(u64),
) -> Result<()> {
    check_callable(broker, "the broker")?;
    let claim = state::claim_launch()?;
    let _engine_thread = host::scope::engine_thread();
    gil_handoff::configure(py, config.gil_request_interval);
    let in_flight = Arc::new(InFlight::new(
        config.in_flight_limit(),
        config.stop_timeout.is_some(),
    ));
    let broker = Arc::new(SharedBroker::new(broker.clone().unbind()));
    // Unbounded, so its memory grows with use: `in_flight` bounds the tasks in it.
    let (sender, mut queue) = mpsc::unbounded_channel();
    let (stopping, stopping_seen) = watch::channel(false);
    let settings = Arc::new(JobSettings {
        debug: config.debug,
        engine: sender.downgrade(),
        stopping: stopping_seen,
    });
    let started = match executor {
        Some(_) => None,
        None => {
            let origin = origin
                .clone()
                .map_or_else(|| broker_origin(broker.get(py).bind(py)), Ok);
            Some(pools::start(py, config, &settings, &broker, origin)?)
        }
    };
    let (pool, pool_queue, reloads) = match started {
        Some(Started {
            pool,
            queue,
            reloads,
        }) => (Some(pool), Some(queue), reloads),
        None => (None, None, None),
    };
    let abandoned = Arc::new(AtomicBool::new(false));
    let engine_loop = EngineLoop::new(
        py,
        broker,
        origin,
        executor,
        settings,
        reloads,
        Arc::clone(&abandoned),
    )?;
    let launch = claim.go_online(Launch::new(
        sender,
        pool_queue,
        Arc::clone(&in_flight),
        config.interrupt_on_deadline,
        config.stop_timeout,
        abandoned,
    ));
    on_online(claim.generation());

    engine_loop.serve(&mut queue);

    // Refuse new calls, end the streams, fail what is still queued for the engine
    // thread, let the running tasks (and with the built-in pool, the queued ones)
    // finish.
    // (`stop` closed the bound already: no task is admitted any more.)
    claim.refuse_calls();
    let _ = stopping.send(true);
    queue.close();
    while let Ok(envelope) = queue.try_recv() {
        envelope.refuse(Error::not_started());
    }
    if let Some(pool) = &pool {
        pool.close();
    }
    // The deadline the caller of `stop` fixed (it enforces it too, should this thread
    // be held up past it).
    let deadline = launch.stop_deadline();
    drop(launch);
    let drained = py.detach(|| {
        pool.as_ref().is_none_or(|pool| pool.wait_ended(deadline))
            && in_flight.wait_drained(deadline)
    });
    if !drained {
        // Stuck workers are abandoned: they end when their broker returns.
        if let Some(pool) = &pool {
            pool.abandon(&Error::not_started());
        }
        in_flight.fail_outstanding(
            py,
            &Error::engine_state(format!(
            "the PIME engine stopped after its stop timeout ({:?}) with this task still running",
            config.stop_timeout.unwrap_or_default()
        )),
        );
    }
    drop(claim);
    Ok(())
}
