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
