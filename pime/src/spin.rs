//! Spinning briefly before parking: a thread that has just finished a task polls for
//! the next one for a few microseconds (yielding the CPU between polls, with the GIL
//! released) before it blocks.
//!
//! On the 2-core VM the benchmark runs on, waking a parked thread costs tens of µs
//! (the idle vCPU has to be woken), which is most of a no-op call. Back-to-back
//! calls find the thread still polling and skip that wake-up. Measured with
//! `pime-bench --only latency`, runs alternating, load average about 2.5: mean no-op
//! latency of exclusive tasks 42–50 µs without spinning, 5–10 µs with; of pooled
//! tasks 19–25 µs without, 12–13 µs with (p99 54–62 µs without, 23–31 µs with). 15 µs
//! of polling gained less; 50 µs no more than 30. Polling with `spin_loop` instead of
//! yielding measured the same, but could keep a thread that shares the core waiting.
//!
//! The cost: after its last task, the engine thread and at most one pool worker each
//! keep one core busy for up to [`SPIN_BEFORE_PARKING`] (yielding it to any other
//! runnable thread) — at most 60 µs of CPU per idle period, nothing while busy.

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
