//! The benchmark scenarios. Each measures PIME (pooled, and exclusive where it
//! applies), the floor and the naive approach, one contender at a time, and returns
//! its rows and targets.

pub mod async_sleep;
pub mod busy;
pub mod cpu;
pub mod host_call;
pub mod interpreters;
pub mod latency;
pub mod mixed;
pub mod payload;
pub mod pools;
pub mod sleep;
pub mod throughput;

use std::sync::Arc;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::config::Sizes;

/// What every scenario runs with.
pub struct Context {
    /// A default multi-thread runtime (default blocking pool), shared by PIME's callers
    /// and the naive contender.
    pub runtime: Runtime,
    /// `benchmod.broker`, for the floor and the naive contender.
    pub broker: Arc<Py<PyAny>>,
    pub sizes: Sizes,
}
