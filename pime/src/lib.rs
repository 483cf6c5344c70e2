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
//! [`PySyncEngine::set_gil_request_interval`]), so short calls stay short while
//! CPU-bound brokers run.
//!
//! See the README for the full tour, the value mapping, the failure rules and the
//! guarantees.

#![deny(missing_docs)]

mod builder;
mod call;
mod cancel;
mod dispatcher;
mod engine;
mod error;
mod exceptions;
mod gil_handoff;
mod in_flight;
mod job;
mod logging;
mod python_sources;
mod reply;
mod signals;
mod spin;
mod state;
mod stats;
mod stream;
mod streaming;
mod task;
mod value;
mod venv;
mod waiting;
mod worker_pool;

#[doc(hidden)]
pub mod typed;

pub use builder::{Engine, EngineBuilder};
pub use call::{call, call_stream, reload, reload_module};
pub use engine::PySyncEngine;
pub use error::{Error, ErrorKind, Result};
pub use gil_handoff::DEFAULT_GIL_REQUEST_INTERVAL;
pub use pime_macros::python_module;
pub use state::{is_engine_started, stop, wait_offline, wait_online};
pub use stats::{stats, stats_prometheus, CommandStats, Stats};
pub use stream::PyStream;
pub use task::PyTask;
pub use value::MAX_DEPTH;

/// Re-exported so users name the exact `Value` type PIME speaks.
pub use serde_value::{self, Value};
