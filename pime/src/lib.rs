//! # PIME — Python Integration Made Easy
//!
//! Run Python code (plugins, scripts, whole libraries) from tokio-based Rust, in
//! parallel, without blocking the async runtime, with typed calls the compiler checks.
//!
//! ## The Rust side
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
//! #[tokio::main]
//! async fn main() -> pime::Result<()> {
//!     let engine = pime::Engine::builder()
//!         .import_path(concat!(env!("CARGO_MANIFEST_DIR"), "/plugins"))
//!         .broker("greeter", "broker")
//!         .start()
//!         .await?;
//!     GreeterClient::verify().await?;
//!     println!("{}", GreeterClient.hello("Rust").await?);
//!     engine.stop().await
//! }
//! ```
//!
//! For dynamic commands, build a [`PyTask`] (a command and params as [`Value`]s) and
//! `await` [`call`] (or [`call_stream`] for a generator). Errors are [`Error`]s with
//! the Python exception's class, message and traceback; `main() -> pime::Result<()>`
//! prints them readably.
//!
//! ## The Python side
//!
//! `plugins/greeter.py`, next to your `Cargo.toml` (the `pime` helper package is
//! embedded in this crate: nothing to install):
//!
//! ```python
//! import pime
//!
//! broker = pime.Broker()
//!
//! @broker.command
//! def hello(name):
//!     return f"Hello, {name}!"
//!
//! @broker.command
//! async def add(a, b):          # async commands run on the engine's event loop
//!     return a + b
//! ```
//!
//! A broker is any callable `broker(command, params)`; `pime.Broker` dispatches to
//! registered commands only and answers [`verify`](python_module)'s query.
//!
//! ## Python calling the host
//!
//! [`host_module`] turns a trait into a Python module of Rust functions, registered
//! with [`EngineBuilder::host`]: plugins `import app` and call `app.get_user(id=1)`
//! (or `await app.aio.get_user(id=1)`); `async fn`s run on the engine's tokio
//! runtime, errors raise `pime.HostError`, and [`context()`] reads the calling task's
//! context. With the cargo feature `tracing`, every call runs in a `pime.call` span
//! under the caller's, and Python log records and host calls land inside it.
//!
//! ## Set-up
//!
//! Your `Cargo.toml` needs `pime`, `tokio` (`rt-multi-thread`, `macros`) and, for
//! typed results, `serde` with `derive`. PyO3 builds against `PYO3_PYTHON` (or the
//! first `python3` on `PATH`) and needs that Python's shared library and headers
//! (`python3-dev` on Debian). To make the binary load the same Python it was built
//! against, pin `PYO3_PYTHON` in `.cargo/config.toml` and add a `build.rs` calling
//! `pyo3_build_config::add_libpython_rpath_link_args()`: the README's "Use PIME in
//! your crate" section has the three files. The engine warns at start when the
//! interpreter it runs is not the one it was built against.
//!
//! ## Where to read on
//!
//! * [`EngineBuilder`]: every setting, with its default and range.
//! * [`call`], [`call_stream`], [`PyStream`]: raw tasks and streams.
//! * [`stats`]: counters and per-command timings.
//! * The README: the value table, the failure rules, the guarantees (the matrix of
//!   every kind of command through every event on every path), the benchmark.
//! * `ARCHITECTURE.md`: the threads, the queues, one call's path, and where each
//!   invariant is enforced.
//!
//! ## How it runs
//!
//! A pooled task goes straight to a worker thread of the engine's pool (attached to
//! Python for its whole life), which runs `broker(command, params)` and completes the
//! caller's reply directly; exclusive tasks run inline on the engine thread, which
//! owns the Python side. Coroutines run on the engine's asyncio loop. A thread with a
//! task to start asks for the GIL promptly (after [`DEFAULT_GIL_REQUEST_INTERVAL`],
//! see [`EngineBuilder::gil_request_interval`]), so short calls stay short while
//! CPU-bound brokers run.

#![deny(missing_docs)]
#![warn(
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

// Layers, each using only those below it (see ARCHITECTURE.md):
// client -> engine -> host -> pool -> jobs -> python -> value, error, task, stats, waiting.
mod client;
mod engine;
mod error;
mod host;
mod interpreters;
mod jobs;
mod pool;
mod python;
mod spin;
mod stack;
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
pub use host::{context, HostModule};
pub use pime_macros::{host_module, python_module};
pub use pool::DEFAULT_GIL_REQUEST_INTERVAL;
pub use stats::{stats, stats_prometheus, CommandStats, Stats, MAX_COMMAND_STATS, OTHER_COMMANDS};
pub use task::PyTask;
pub use value::MAX_DEPTH;

/// Re-exported so users name the exact `Value` type PIME speaks.
pub use serde_value::{self, Value};
