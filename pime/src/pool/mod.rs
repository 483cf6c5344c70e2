//! The built-in pool: worker threads that take pooled tasks straight from callers.
//!
//! * `workers`: the long-lived `pime-worker-N` threads, their bounded queue, how they
//!   start, end and are abandoned after a stop timeout.
//! * `scheduler`: which worker takes the next task, and when a parked one is woken
//!   (at most one searching worker; draining under one GIL hold).
//! * `lending`: a worker waiting in a sync host call lends its place in the pool.
//! * `gil_handoff`: asking for the GIL promptly when a task is waiting to start
//!   (also used by the engine thread).
//!
//! May use: `jobs` (a worker runs a [`Job`](crate::jobs::Job)), `python`, `task`,
//! `error`, `waiting`, `spin`. Used by `engine`, which starts and stops the pool.

pub(crate) mod gil_handoff;
mod gil_interval;
mod lending;
mod scheduler;
mod workers;

pub use gil_handoff::DEFAULT_GIL_REQUEST_INTERVAL;
pub(crate) use lending::block_on_lending;
pub(crate) use workers::{PoolConfig, PoolSender, WorkerPool, WORKER_STACK_SIZE};
