//! Spinning briefly before parking: a thread that has just finished a task polls for
//! the next one for a few microseconds (yielding the CPU between polls, with the GIL
//! released) before it blocks: a pool's searcher, a subinterpreter worker, the engine
//! thread.
//!
//! Waking a parked thread costs tens of µs on a small VM (the idle vCPU has to be
//! woken), which is most of a no-op call; back-to-back calls find the thread still
//! polling and skip that wake-up (`pime-bench/README.md` has the figures). Yielding
//! rather than `spin_loop` keeps a thread that shares the core from waiting.
//!
//! The caller's side does the same for the reply when it is the only call in flight
//! (`client/call.rs`): a parked tokio worker takes as long to wake as a parked pool
//! worker.
//!
//! The cost: after its last task, the engine thread, at most one pool worker and at
//! most one subinterpreter worker each keep one core busy for up to
//! [`SPIN_BEFORE_PARKING`] (yielding it to any other runnable thread) — at most 90 µs
//! of CPU per idle period, nothing while busy; a lone call's thread up to 30 µs per
//! call.

use std::time::{Duration, Instant};

/// How long a thread polls for its next task before it parks.
pub(crate) const SPIN_BEFORE_PARKING: Duration = Duration::from_micros(30);

/// Calls `poll` until it gives something or [`SPIN_BEFORE_PARKING`] has passed,
/// yielding the CPU between calls. Call it with the GIL released.
pub(crate) fn poll_briefly<T>(mut poll: impl FnMut() -> Option<T>) -> Option<T> {
    let until = Instant::now() + SPIN_BEFORE_PARKING;
    loop {
        if let Some(found) = poll() {
            return Some(found);
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::yield_now();
    }
}
