//! Prompt GIL hand-off for task starts: a PIME thread that has a task to start asks
//! the thread holding the GIL to hand it over after the request interval
//! ([`DEFAULT_GIL_REQUEST_INTERVAL`]), not after the full switch interval.
//!
//! Why: CPython hands the GIL over only when a waiting thread's timed wait of one
//! switch interval (5 ms by default) runs out, and the thread it wakes then is often
//! another waiter than the one that asked. With N threads looping in pure Python, a
//! thread that comes for the GIL tends to ask round after round and lose, so a no-op
//! call waits tens of milliseconds (`pime-bench/README.md`, the busy rows).
//!
//! What: just before a PIME worker (or the engine thread) takes the GIL back to start
//! a task, it lowers the interpreter's switch interval to the request interval; once
//! it holds the GIL it puts the interval back. So it asks the holder within that
//! time, and so do the busy threads while it waits: rounds of the hand-off take tens
//! of µs instead of 5 ms, and the wait ends within a few rounds. The busy threads
//! switch more often only while a task is waiting to start.
//!
//! How: the waiting thread does not hold the GIL, so it reads and writes the interval
//! through [`gil_interval`], which knows how on each CPython (and says when it cannot:
//! then there is no prompt hand-off).
//!
//! Side effect: while a task waits to start, `sys.getswitchinterval()` reads the
//! request interval. A `sys.setswitchinterval` call made meanwhile is kept (the old
//! value is only put back if the request interval is still in place).

use std::os::raw::c_ulong;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyo3::prelude::*;

use super::gil_interval::{self, from_c, Accessor};
use crate::waiting::lock;

/// The default of [`crate::EngineBuilder::gil_request_interval`]: of the intervals that
/// measured alike (10, 25, 50 µs; 100 and 200 µs were worse), the longest, which asks
/// the busy threads to switch least often.
pub const DEFAULT_GIL_REQUEST_INTERVAL: Duration = Duration::from_micros(50);

/// The request interval in µs; 0 turns the prompt hand-off off.
static REQUEST_MICROS: AtomicU64 = AtomicU64::new(0);

/// How this interpreter's switch interval is read and written without the GIL, if it
/// can be.
static ACCESSOR: OnceLock<Option<Accessor>> = OnceLock::new();

/// What the waiting threads share: how many are asking, and the interval to restore.
static WAITING: Mutex<Waiting> = Mutex::new(Waiting {
    threads: 0,
    lowered: None,
});

struct Waiting {
    threads: usize,
    /// `(restore, lowered_to)` while the interval is lowered, both in µs.
    lowered: Option<(u64, u64)>,
}

/// Sets the request interval for this launch (`None`: off). Call it holding the GIL.
pub(crate) fn configure(py: Python<'_>, request: Option<Duration>) {
    let available = ACCESSOR
        .get_or_init(|| {
            let found = gil_interval::find(py);
            if found.is_none() {
                log::debug!(target: "pime", "no prompt GIL hand-off: {}", gil_interval::MISSING);
            }
            found
        })
        .is_some();
    let micros = match request {
        Some(interval) if available => interval.as_micros().clamp(1, u128::from(u32::MAX)) as u64,
        _ => 0,
    };
    REQUEST_MICROS.store(micros, Ordering::Relaxed);
}

/// Like `py.detach(wait)`, for a thread that waits for a task and then runs it: takes
/// the GIL back with the prompt hand-off.
pub(crate) fn detach_for_task<T: Send>(py: Python<'_>, wait: impl Send + FnOnce() -> T) -> T {
    let (found, asking) = py.detach(|| {
        let found = wait();
        (found, Asking::start())
    });
    asking.end();
    found
}

/// One thread asking for the GIL promptly, until [`Asking::end`] (once it holds it).
struct Asking(Option<Accessor>);

impl Asking {
    /// Call it without holding the GIL: the first thread to ask lowers the interval.
    fn start() -> Asking {
        let request = REQUEST_MICROS.load(Ordering::Relaxed);
        let Some(api) = ACCESSOR.get().copied().flatten().filter(|_| request != 0) else {
            return Asking(None);
        };
        let mut waiting = lock(&WAITING);
        if waiting.threads == 0 {
            // SAFETY: `gil_interval::find` gave `api`: a getter and a setter of the main
            // interpreter's interval that need neither the GIL nor a thread state.
            let current = from_c(unsafe { (api.get)() });
            if current > request {
                // SAFETY: as for the getter.
                unsafe { (api.set)(request as c_ulong) };
                waiting.lowered = Some((current, request));
            }
        }
        waiting.threads += 1;
        Asking(Some(api))
    }

    /// The thread holds the GIL: its request ends; the last one puts the interval back.
    fn end(self) {
        let Some(api) = self.0 else { return };
        let lowered = {
            let mut waiting = lock(&WAITING);
            waiting.threads -= 1;
            if waiting.threads > 0 {
                return;
            }
            waiting.lowered.take()
        };
        let Some((restore, lowered_to)) = lowered else {
            return;
        };
        // Someone's `sys.setswitchinterval` since then wins.
        // SAFETY: as in `Asking::start`.
        unsafe {
            if from_c((api.get)()) == lowered_to {
                (api.set)(restore as c_ulong);
            }
        }
    }
}
