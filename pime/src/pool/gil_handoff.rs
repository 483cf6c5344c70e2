//! Prompt GIL hand-off for task starts: a PIME thread that has a task to start asks
//! the thread holding the GIL to hand it over after the request interval
//! ([`DEFAULT_GIL_REQUEST_INTERVAL`]), not after the full switch interval.
//!
//! Why: CPython 3.11 hands the GIL over only when a waiting thread's timed wait of
//! one switch interval (5 ms by default) runs out, and the thread it wakes then is
//! often another waiter than the one that asked. With N threads looping in pure
//! Python, a thread that comes for the GIL tends to ask round after round and lose,
//! so a no-op call waits tens of milliseconds (`pime-bench/README.md`, the busy rows).
//!
//! What: just before a PIME worker (or the engine thread) takes the GIL back to start
//! a task, it lowers the interpreter's switch interval to the request interval; once
//! it holds the GIL it puts the interval back. So it asks the holder within that
//! time, and so do the busy threads while it waits: rounds of the hand-off take tens
//! of µs instead of 5 ms, and the wait ends within a few rounds. The busy threads
//! switch more often only while a task is waiting to start.
//!
//! How: `_PyEval_SetSwitchInterval` / `_PyEval_GetSwitchInterval` — what
//! `sys.setswitchinterval` calls — looked up at run time with `dlsym`. Up to CPython
//! 3.11 they read and write one runtime-wide value and need no thread state, so a
//! thread may call them while it does not hold the GIL (CPython's own waiters read
//! that value without holding the GIL too). From 3.12 they go through the calling
//! thread's interpreter (`_PyInterpreterState_GET()`), which a detached thread does
//! not have, so on 3.12 and later, and wherever the symbols are missing, the prompt
//! hand-off is off and tasks wait like any Python thread.
//!
//! Side effect: while a task waits to start, `sys.getswitchinterval()` reads the
//! request interval. A `sys.setswitchinterval` call made meanwhile is kept (the old
//! value is only put back if the request interval is still in place).

use std::os::raw::c_ulong;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyo3::prelude::*;

use crate::waiting::lock;

/// The default of [`crate::EngineBuilder::gil_request_interval`]: of the intervals that
/// measured alike (10, 25, 50 µs; 100 and 200 µs were worse), the longest, which asks
/// the busy threads to switch least often.
pub const DEFAULT_GIL_REQUEST_INTERVAL: Duration = Duration::from_micros(50);

/// The request interval in µs; 0 turns the prompt hand-off off.
static REQUEST_MICROS: AtomicU64 = AtomicU64::new(0);

/// CPython's switch-interval setter and getter, when this interpreter has them and they
/// may be called without the GIL.
static SWITCH_INTERVAL: OnceLock<Option<SwitchInterval>> = OnceLock::new();

/// What the waiting threads share: how many are asking, and the interval to restore.
static WAITING: Mutex<Waiting> = Mutex::new(Waiting {
    threads: 0,
    lowered: None,
});

#[derive(Clone, Copy)]
struct SwitchInterval {
    set: unsafe extern "C" fn(c_ulong),
    get: unsafe extern "C" fn() -> c_ulong,
}

struct Waiting {
    threads: usize,
    /// `(restore, lowered_to)` while the interval is lowered, both in µs.
    lowered: Option<(c_ulong, c_ulong)>,
}

/// Sets the request interval for this launch (`None`: off). Call it holding the GIL.
pub(crate) fn configure(py: Python<'_>, request: Option<Duration>) {
    let available = SWITCH_INTERVAL.get_or_init(|| resolve(py)).is_some();
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
    drop(asking);
    found
}

/// One thread asking for the GIL promptly; dropping it (once the GIL is held) ends
/// the request.
struct Asking(Option<SwitchInterval>);

impl Asking {
    fn start() -> Asking {
        let request = REQUEST_MICROS.load(Ordering::Relaxed) as c_ulong;
        let Some(api) = SWITCH_INTERVAL
            .get()
            .copied()
            .flatten()
            .filter(|_| request != 0)
        else {
            return Asking(None);
        };
        let mut waiting = lock(&WAITING);
        if waiting.threads == 0 {
            // SAFETY: `api` was resolved by `resolve`, which gives it only on CPython
            // 3.11 and older, where the getter reads one runtime-wide field and needs
            // neither the GIL nor a thread state.
            let current = unsafe { (api.get)() };
            if current > request {
                // SAFETY: as for the getter: on <= 3.11 the setter stores one
                // runtime-wide field, which CPython's own GIL waiters read unlocked.
                unsafe { (api.set)(request) };
                waiting.lowered = Some((current, request));
            }
        }
        waiting.threads += 1;
        Asking(Some(api))
    }
}

impl Drop for Asking {
    fn drop(&mut self) {
        let Some(api) = self.0 else { return };
        let mut waiting = lock(&WAITING);
        waiting.threads -= 1;
        if waiting.threads == 0 {
            if let Some((restore, lowered_to)) = waiting.lowered.take() {
                // SAFETY: as in `Asking::start`: only resolved on CPython <= 3.11,
                // where the getter needs no thread state.
                let current = unsafe { (api.get)() };
                // Someone's `sys.setswitchinterval` since then wins.
                if current == lowered_to {
                    // SAFETY: as in `Asking::start`, for the setter.
                    unsafe { (api.set)(restore) };
                }
            }
        }
    }
}

/// Finds the setter and getter where calling them without the GIL is sound.
fn resolve(py: Python<'_>) -> Option<SwitchInterval> {
    if py.version_info() >= (3, 12) {
        return None;
    }
    lookup()
}

#[cfg(unix)]
fn lookup() -> Option<SwitchInterval> {
    // SAFETY: `dlsym` with the process-wide handle and a NUL-terminated name only
    // reads the loaded objects' symbol tables. A missing symbol is a null pointer,
    // which turns the hand-off off.
    let (set, get) = unsafe {
        (
            libc::dlsym(libc::RTLD_DEFAULT, c"_PyEval_SetSwitchInterval".as_ptr()),
            libc::dlsym(libc::RTLD_DEFAULT, c"_PyEval_GetSwitchInterval".as_ptr()),
        )
    };
    if set.is_null() || get.is_null() {
        return None;
    }
    // SAFETY: both symbols are CPython's, with the signatures `cpython/ceval.h`
    // declares (`void (unsigned long)` and `unsigned long (void)`), unchanged from
    // 3.2 to 3.13; a non-null symbol pointer is a valid function pointer.
    let api = unsafe {
        SwitchInterval {
            set: std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn(c_ulong)>(set),
            get: std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn() -> c_ulong>(get),
        }
    };
    Some(api)
}

#[cfg(not(unix))]
fn lookup() -> Option<SwitchInterval> {
    None
}
