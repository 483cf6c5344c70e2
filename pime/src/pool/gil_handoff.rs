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
//! time, and so does each busy thread in its next wait: rounds of the hand-off take
//! tens of µs instead of 5 ms, and the wait ends within a few rounds. The busy threads
//! switch more often only while a task is waiting to start.
//!
//! How: the waiting thread does not hold the GIL, so it reads and writes the interval
//! through [`gil_interval`], which knows how on each CPython (and says when it cannot:
//! then there is no prompt hand-off).
//!
//! Side effect: while a task waits to start, `sys.getswitchinterval()` reads the
//! request interval. A `sys.setswitchinterval` call made while it is lowered is kept
//! (the old value is only put back if the request interval is still in place).

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

/// How many threads are asking. The first to ask lowers the interval, the last to
/// end puts it back, each holding this lock.
static WAITING: Mutex<usize> = Mutex::new(0);

/// While the interval is lowered: the interval to restore and the one it was lowered
/// to, in µs (0: not lowered). Written holding `WAITING`; atomics so that a forked
/// child can restore the interval without that lock (see [`restore_in_child`]).
static LOWERED_FROM: AtomicU64 = AtomicU64::new(0);
static LOWERED_TO: AtomicU64 = AtomicU64::new(0);

/// Sets the request interval for this launch (`None`: off). Call it holding the GIL.
pub(crate) fn configure(py: Python<'_>, request: Option<Duration>) {
    let available = ACCESSOR
        .get_or_init(|| {
            let found = gil_interval::find(py);
            match found {
                Some(_) => restore_after_fork(),
                None => {
                    log::debug!(target: "pime", "no prompt GIL hand-off: {}", gil_interval::MISSING)
                }
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
        if *waiting == 0 {
            // SAFETY: `gil_interval::find` gave `api`: a getter and a setter of the main
            // interpreter's interval that need neither the GIL nor a thread state.
            let current = from_c(unsafe { (api.get)() });
            if current > request {
                // SAFETY: as for the getter.
                unsafe { (api.set)(request as c_ulong) };
                LOWERED_FROM.store(current, Ordering::Relaxed);
                LOWERED_TO.store(request, Ordering::Relaxed);
            }
        }
        *waiting += 1;
        Asking(Some(api))
    }

    /// The thread holds the GIL: its request ends; the last one puts the interval back.
    fn end(self) {
        let Some(api) = self.0 else { return };
        let mut waiting = lock(&WAITING);
        *waiting -= 1;
        if *waiting == 0 {
            restore(api);
        }
    }
}

/// Puts the interval back if it is lowered. Someone's `sys.setswitchinterval` since it
/// was lowered wins.
fn restore(api: Accessor) {
    let from = LOWERED_FROM.swap(0, Ordering::Relaxed);
    let to = LOWERED_TO.swap(0, Ordering::Relaxed);
    // SAFETY: as in `Asking::start`.
    unsafe {
        if from != 0 && from_c((api.get)()) == to {
            (api.set)(from as c_ulong);
        }
    }
}

/// A process forked while a PIME thread waits for the GIL (`multiprocessing` with the
/// fork start method, from a broker) would keep the lowered interval for good: its
/// copies of the waiting threads never run. The child puts it back at once.
#[cfg(unix)]
fn restore_after_fork() {
    // SAFETY: registers a handler that runs in the child of a `fork`, on its only
    // thread; it reads two atomics and a `OnceLock` (still empty if the fork comes
    // before it is set: then nothing is lowered) and calls the accessor (a load and a
    // store): nothing that may lock.
    let registered = unsafe { libc::pthread_atfork(None, None, Some(restore_in_child)) };
    if registered != 0 {
        log::debug!(target: "pime", "cannot register the GIL hand-off's fork handler ({registered})");
    }
}

#[cfg(not(unix))]
fn restore_after_fork() {}

#[cfg(unix)]
extern "C" fn restore_in_child() {
    if let Some(api) = ACCESSOR.get().copied().flatten() {
        restore(api);
    }
}
