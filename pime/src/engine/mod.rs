//! The engine: configured, launched on a thread that holds the GIL, served, stopped.
//!
//! * `config`: every setting, checked in one place.
//! * `builder`: [`Engine`](crate::Engine) and [`EngineBuilder`](crate::EngineBuilder),
//!   where each setting is documented; starts the engine thread.
//! * `sync_engine`: [`PySyncEngine`](crate::PySyncEngine), the seed's API over the same
//!   configuration.
//! * `launch`: one launch from start to stop (the stop sequence).
//! * `pools`: the launch's pool, threads or subinterpreters, behind one face.
//! * `engine_loop`: what the engine thread does while online — exclusive tasks,
//!   tasks for a user's executor, reloads, cancels.
//! * `state`: the process-wide state (online or not, the way in) and
//!   [`stop`](crate::stop) / [`wait_online`](crate::wait_online).
//!
//! May use: `host`, `pool`, `interpreters`, `jobs`, `python`, and the top-level modules. Used by `client`.

mod builder;
mod config;
mod engine_loop;
mod launch;
mod pools;
pub(crate) mod state;
mod sync_engine;

pub use builder::{Engine, EngineBuilder};
pub use state::{is_engine_started, stop, wait_offline, wait_online};
pub use sync_engine::PySyncEngine;
