//! The naive contender: what users write without PIME — one
//! `spawn_blocking(|| Python::attach(..))` per call, converting params and results
//! with the bench's plain converter. Each call attaches a tokio blocking thread to the
//! interpreter (creating and destroying its Python thread state).

use std::sync::Arc;

use pyo3::prelude::*;
use serde_value::Value;

use crate::broker::Request;
use crate::convert;
use crate::drive::BenchResult;

/// A multi-thread runtime whose blocking pool has at most `threads` threads (to give
/// the naive contender the same thread budget as PIME's pool).
pub fn runtime_with_blocking_threads(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(threads)
        .build()
}

/// One call of `request` on the runtime's blocking pool.
pub async fn call(broker: Arc<Py<PyAny>>, request: Request) -> BenchResult<Option<Value>> {
    let result = tokio::task::spawn_blocking(move || {
        Python::attach(|py| {
            convert::call_broker(py, broker.bind(py), request.command, &request.params)
        })
    })
    .await??;
    Ok(result)
}

/// [`call`], keeping only whether it succeeded.
pub async fn call_ok(broker: Arc<Py<PyAny>>, request: Request) -> BenchResult<()> {
    call(broker, request).await.map(drop)
}

/// One call of an async command on the runtime's blocking pool: the broker's
/// coroutine run with `asyncio.run`, which holds the blocking thread until it ends.
pub async fn call_coroutine(
    broker: Arc<Py<PyAny>>,
    request: Request,
) -> BenchResult<Option<Value>> {
    let result = tokio::task::spawn_blocking(move || {
        Python::attach(|py| {
            convert::run_broker_coroutine(py, broker.bind(py), request.command, &request.params)
        })
    })
    .await??;
    Ok(result)
}

/// [`call_coroutine`], keeping only whether it succeeded.
pub async fn call_coroutine_ok(broker: Arc<Py<PyAny>>, request: Request) -> BenchResult<()> {
    call_coroutine(broker, request).await.map(drop)
}
