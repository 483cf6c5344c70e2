//! # PIME — Python Integration Made Easy
//!
//! Run Python code (plugins, scripts, whole libraries) from tokio-based Rust, in
//! parallel, without blocking the async runtime, with typed calls the compiler checks.
//!
//! ## Typed modules first
//!
//! Declare the Python module as a trait; [`python_module`] generates a client whose
//! methods send `broker(command, params)` and decode the result with serde:
//!
//! ```no_run
//! #[pime::python_module]
//! pub trait Greeter {
//!     /// Says hello.
//!     async fn hello(&self, name: &str) -> pime::Result<String>;
//!     #[pime(exclusive)]
//!     async fn add(&self, a: i64, b: i64) -> pime::Result<i64>;
//! }
//!
//! # async fn demo() -> pime::Result<()> {
//! let engine = pime::Engine::builder()
//!     .import_path("plugins")
//!     .broker("greeter", "broker")
//!     .start()
//!     .await?;
//! GreeterClient::verify().await?;
//! println!("{}", GreeterClient.hello("Rust").await?);
//! engine.stop().await
//! # }
//! ```
//!
//! ## Raw tasks second
//!
//! For dynamic commands, build a [`PyTask`] (a command and params as
//! [`Value`]s) and `await` [`call`] (or [`call_stream`] for a generator).
//!
//! ## How it runs
//!
//! A pooled task goes straight to a worker thread of the engine's pool (attached to
//! Python for its whole life), which runs `broker(command, params)` and completes the
//! caller's reply directly; exclusive tasks run inline on the engine thread, which
//! owns the Python side. Coroutines run on the engine's asyncio loop. A thread with a
//! task to start asks for the GIL promptly (after
//! [`DEFAULT_GIL_REQUEST_INTERVAL`], see
//! [`EngineBuilder::gil_request_interval`]), so short calls stay short while
//! CPU-bound brokers run.
//!
//! See the README for the full tour, the value mapping, the failure rules and the
//! guarantees.

#![deny(missing_docs)]
#![warn(
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

// Layers, each using only those below it (see ARCHITECTURE.md):
// client -> engine -> pool -> jobs -> python -> value, error, task, stats, waiting.
mod client;
mod engine;
mod error;
mod jobs;
mod pool;
mod python;
mod stats;
mod task;
mod value;
mod waiting;

#[doc(hidden)]
pub mod __private;

pub use client::{call, call_stream, reload, reload_module, PyStream};
pub use engine::{
    is_engine_started, stop, wait_offline, wait_online, Engine, EngineBuilder, PySyncEngine,
};
pub use error::{Error, ErrorKind, Result};
pub use pime_macros::python_module;
pub use pool::DEFAULT_GIL_REQUEST_INTERVAL;
pub use stats::{stats, stats_prometheus, CommandStats, Stats, MAX_COMMAND_STATS, OTHER_COMMANDS};
pub use task::PyTask;
pub use value::MAX_DEPTH;

/// Re-exported so users name the exact `Value` type PIME speaks.
pub use serde_value::{self, Value};
