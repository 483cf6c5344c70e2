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
//! How, up to CPython 3.11: `_PyEval_SetSwitchInterval` / `_PyEval_GetSwitchInterval`
//! — what `sys.setswitchinterval` calls — looked up at run time with `dlsym`. There
//! they read and write one runtime-wide value and need no thread state, so a thread
//! may call them while it does not hold the GIL (CPython's own waiters read that value
//! without holding the GIL too).
//!
//! How, from CPython 3.12: those functions go through the calling thread's
//! interpreter (`_PyInterpreterState_GET()`, a thread-local that is NULL while a
//! thread is detached), and 3.13 no longer exports them; `take_gil` reads the
//! interval of `interp->ceval.gil`, a struct private to the interpreter. So the
//! thread that asks cannot lower it itself; the GIL's holder does it for it. The
//! asking thread queues a *pending call* on the main interpreter
//! (`_PyEval_AddPendingCall`, flags 0: any thread of that interpreter may run it —
//! what `Py_AddPendingCall` does for the main thread only, and callable, like it,
//! from a thread without a thread state: it takes the queue's own lock). The thread
//! holding the GIL runs it at its next eval-loop check, with the GIL held and its
//! thread state attached: [`holder_lowers`] lowers the interval through
//! `sys.setswitchinterval` and lets the GIL go once, so the waiters (which entered
//! their wait with the old interval) wake and wait with the new one. The thread that
//! asked puts the interval back once it holds the GIL, through `sys` too. When no
//! thread runs Python, the call waits unrun until one does, and finds nobody asking.
//!
//! Side effect: while a task waits to start, `sys.getswitchinterval()` reads the
//! request interval. A `sys.setswitchinterval` call made meanwhile is kept (the old
//! value is only put back if the request interval is still in place).

use std::os::raw::{c_int, c_ulong, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::waiting::lock;

/// The default of [`crate::EngineBuilder::gil_request_interval`]: of the intervals that
/// measured alike (10, 25, 50 µs; 100 and 200 µs were worse), the longest, which asks
/// the busy threads to switch least often.
pub const DEFAULT_GIL_REQUEST_INTERVAL: Duration = Duration::from_micros(50);

/// The request interval in µs; 0 turns the prompt hand-off off.
static REQUEST_MICROS: AtomicU64 = AtomicU64::new(0);

/// How this interpreter's switch interval can be lowered for a waiting thread, if it can.
static MECHANISM: OnceLock<Option<Mechanism>> = OnceLock::new();

/// What the waiting threads share: how many are asking, and the interval to restore.
static WAITING: Mutex<Waiting> = Mutex::new(Waiting {
    threads: 0,
    lowered: None,
    call_queued: false,
});

#[derive(Clone, Copy)]
enum Mechanism {
    /// CPython <= 3.11: the waiting thread sets the interval itself.
    Direct(SwitchInterval),
    /// CPython >= 3.12: the GIL's holder sets it, in a pending call.
    PendingCall(AddPendingCall),
}

#[derive(Clone, Copy)]
struct SwitchInterval {
    set: unsafe extern "C" fn(c_ulong),
    get: unsafe extern "C" fn() -> c_ulong,
}

/// `_PyEval_AddPendingCall(interp, func, arg, flags)`: 3.12 names the last parameter
/// `mainthreadonly`, 3.13 `flags` (bit 1: main thread only); both return 0 when queued.
type AddPendingCall = unsafe extern "C" fn(
    *mut pyo3::ffi::PyInterpreterState,
    extern "C" fn(*mut c_void) -> c_int,
    *mut c_void,
    c_int,
) -> c_int;

/// Notified (with `WAITING`) when the holder has lowered the interval (3.12+).
static LOWERED: Condvar = Condvar::new();

/// How long a thread about to wait for the GIL waits for the holder to lower the
/// interval first (3.12+), at most.
const LOWERING_WAIT: Duration = Duration::from_millis(1);

/// A wait for the GIL at least this long means busy threads hold it (3.12+)...
const CONTENDED_WAIT: Duration = Duration::from_micros(500);

/// ... and for this long, threads about to wait let the holder lower the interval
/// first. Uncontended, a thread takes the GIL in microseconds and asks only after.
const CONTENDED_FOR: Duration = Duration::from_millis(100);

/// Until when (ns since [`epoch`]) the GIL counts as contended.
static CONTENDED_UNTIL: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Another thread holds the GIL while a PIME thread waits for it.
fn note_contended() {
    let until = epoch().elapsed() + CONTENDED_FOR;
    CONTENDED_UNTIL.store(until.as_nanos() as u64, Ordering::Relaxed);
}

fn contended() -> bool {
    epoch().elapsed().as_nanos() as u64 <= CONTENDED_UNTIL.load(Ordering::Relaxed)
}

struct Waiting {
    threads: usize,
    /// `(restore, lowered_to)` while the interval is lowered, both in µs.
    lowered: Option<(u64, u64)>,
    /// A pending call is queued and has not run yet (3.12+).
    call_queued: bool,
}

/// Sets the request interval for this launch (`None`: off). Call it holding the GIL.
pub(crate) fn configure(py: Python<'_>, request: Option<Duration>) {
    let available = MECHANISM.get_or_init(|| resolve(py)).is_some();
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
    asking.end(py);
    found
}

/// One thread asking for the GIL promptly, until [`Asking::end`] (once it holds it),
/// and since when it waits for the GIL.
struct Asking(Option<Mechanism>, Instant);

impl Asking {
    /// Call it without holding the GIL.
    fn start() -> Asking {
        let request = REQUEST_MICROS.load(Ordering::Relaxed);
        let Some(mechanism) = MECHANISM.get().copied().flatten().filter(|_| request != 0) else {
            return Asking(None, Instant::now());
        };
        let mut waiting = lock(&WAITING);
        if waiting.threads == 0 {
            match mechanism {
                Mechanism::Direct(api) => {
                    // SAFETY: `api` was resolved by `resolve`, which gives `Direct` only
                    // on CPython 3.11 and older, where the getter reads one runtime-wide
                    // field and needs neither the GIL nor a thread state.
                    let current = from_c(unsafe { (api.get)() });
                    if current > request {
                        // SAFETY: as for the getter: on <= 3.11 the setter stores one
                        // runtime-wide field, which CPython's own GIL waiters read unlocked.
                        unsafe { (api.set)(request as c_ulong) };
                        waiting.lowered = Some((current, request));
                    }
                }
                Mechanism::PendingCall(add)
                    if !waiting.call_queued && waiting.lowered.is_none() =>
                {
                    // SAFETY: `PyInterpreterState_Main` reads the runtime's pointer to
                    // the main interpreter, which lives as long as the engine does (PIME
                    // never finalizes Python). `add` is `_PyEval_AddPendingCall` of
                    // 3.12 / 3.13 (see `lookup`), which takes the pending-call queue's
                    // own lock and needs no thread state; flags 0: any thread of the
                    // interpreter may run it. `holder_lowers` ignores its argument.
                    let queued = unsafe {
                        add(
                            pyo3::ffi::PyInterpreterState_Main(),
                            holder_lowers,
                            std::ptr::null_mut(),
                            0,
                        )
                    } == 0;
                    waiting.call_queued = queued;
                }
                Mechanism::PendingCall(_) => {}
            }
        }
        waiting.threads += 1;
        if matches!(mechanism, Mechanism::PendingCall(_)) && contended() {
            // A wait for the GIL entered now would last the old interval (CPython reads
            // it as each wait starts): let the holder lower it first. It runs the call
            // within microseconds while it runs Python; the limit covers a holder
            // stuck in C code, which no interval would hurry anyway.
            let deadline = Instant::now() + LOWERING_WAIT;
            while waiting.call_queued && waiting.lowered.is_none() {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                waiting = LOWERED
                    .wait_timeout(waiting, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        Asking(Some(mechanism), Instant::now())
    }

    /// The thread holds the GIL: its request ends; the last one puts the interval back.
    fn end(self, py: Python<'_>) {
        let Some(mechanism) = self.0 else { return };
        if self.1.elapsed() >= CONTENDED_WAIT {
            note_contended();
        }
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
        match mechanism {
            Mechanism::Direct(api) => {
                // SAFETY: as in `Asking::start`: only resolved on CPython <= 3.11,
                // where the getter and setter need no thread state.
                unsafe {
                    if from_c((api.get)()) == lowered_to {
                        (api.set)(restore as c_ulong);
                    }
                }
            }
            // Outside the lock: these are calls into Python.
            Mechanism::PendingCall(_) => {
                if switch_interval(py) == Some(lowered_to) {
                    set_switch_interval(py, restore);
                }
            }
        }
    }
}

/// The pending call (3.12+), run by whichever thread holds the GIL at its next
/// eval-loop check: lowers the interval while a PIME thread still asks, then lets the
/// GIL go once so that every waiter starts a wait with the new interval. (Only threads
/// holding the GIL touch `lowered` on 3.12+, so the GIL orders them.)
extern "C" fn holder_lowers(_: *mut c_void) -> c_int {
    // SAFETY: CPython runs pending calls on a thread that holds the GIL with its
    // thread state attached (`make_pending_calls`, from the eval loop).
    let py = unsafe { Python::assume_attached() };
    let request = REQUEST_MICROS.load(Ordering::Relaxed);
    {
        let mut waiting = lock(&WAITING);
        waiting.call_queued = false;
        if waiting.threads == 0 || waiting.lowered.is_some() || request == 0 {
            return 0;
        }
    }
    // This thread held the GIL while a PIME thread asked for it.
    note_contended();
    let Some(current) = switch_interval(py).filter(|&current| current > request) else {
        return 0;
    };
    if !set_switch_interval(py, request) {
        return 0;
    }
    {
        let mut waiting = lock(&WAITING);
        if waiting.threads > 0 {
            waiting.lowered = Some((current, request));
            LOWERED.notify_all();
        } else {
            drop(waiting);
            // The asking threads got the GIL while this ran: nobody to restore it.
            set_switch_interval(py, current);
            return 0;
        }
    }
    // The waiters' current waits last the old interval: a release wakes one, which
    // then waits with the new one. (Releasing more often, to wake more of them,
    // measured worse: the busy threads then trade the GIL among themselves.)
    py.detach(std::thread::yield_now);
    0
}

/// A C `unsigned long` (32 bits on some platforms, 64 on Linux) as `u64`.
#[allow(clippy::useless_conversion)]
fn from_c(value: c_ulong) -> u64 {
    value.into()
}

/// `sys.getswitchinterval` and `sys.setswitchinterval`, fetched at launch (not in a
/// pending call, where an import could run Python code).
static SYS_SWITCH: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

/// `sys.getswitchinterval()` in µs; on an error (cleared) `None`.
fn switch_interval(py: Python<'_>) -> Option<u64> {
    let (get, _) = SYS_SWITCH.get(py)?;
    let seconds = get.bind(py).call0().and_then(|s| s.extract::<f64>()).ok()?;
    Some((seconds * 1e6).round() as u64)
}

/// `sys.setswitchinterval(µs)`; whether it worked (an error is cleared).
fn set_switch_interval(py: Python<'_>, micros: u64) -> bool {
    SYS_SWITCH
        .get(py)
        .is_some_and(|(_, set)| set.bind(py).call1((micros as f64 / 1e6,)).is_ok())
}

/// Finds how to lower the interval on this interpreter, if it can be done soundly.
fn resolve(py: Python<'_>) -> Option<Mechanism> {
    let pending_call = py.version_info() >= (3, 12);
    if pending_call {
        let sys = py.import("sys").ok()?;
        let functions = (
            sys.getattr("getswitchinterval").ok()?.unbind(),
            sys.getattr("setswitchinterval").ok()?.unbind(),
        );
        let _ = SYS_SWITCH.set(py, functions);
    }
    lookup(pending_call)
}

#[cfg(unix)]
fn lookup(pending_call: bool) -> Option<Mechanism> {
    let symbol = |name: &std::ffi::CStr| {
        // SAFETY: `dlsym` with the process-wide handle and a NUL-terminated name only
        // reads the loaded objects' symbol tables. A missing symbol is a null pointer,
        // which turns the hand-off off.
        let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        (!found.is_null()).then_some(found)
    };
    if pending_call {
        let add = symbol(c"_PyEval_AddPendingCall")?;
        // SAFETY: a non-null symbol pointer is a valid function pointer; CPython 3.12
        // and 3.13 declare it `int (PyInterpreterState *, int (*)(void *), void *,
        // int)` (`pycore_ceval.h`; 3.13's result type is an `int` typedef).
        let add = unsafe { std::mem::transmute::<*mut c_void, AddPendingCall>(add) };
        return Some(Mechanism::PendingCall(add));
    }
    let (set, get) = (
        symbol(c"_PyEval_SetSwitchInterval")?,
        symbol(c"_PyEval_GetSwitchInterval")?,
    );
    // SAFETY: both symbols are CPython's, with the signatures `cpython/ceval.h`
    // declares (`void (unsigned long)` and `unsigned long (void)`), unchanged from
    // 3.2 to 3.11; a non-null symbol pointer is a valid function pointer.
    let api = unsafe {
        SwitchInterval {
            set: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_ulong)>(set),
            get: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> c_ulong>(get),
        }
    };
    Some(Mechanism::Direct(api))
}

#[cfg(not(unix))]
fn lookup(_pending_call: bool) -> Option<Mechanism> {
    None
}
