//! The switch interval of the main interpreter's GIL, read and written by a thread
//! that does not hold the GIL (for `gil_handoff.rs`), on each CPython.
//!
//! * Up to 3.11: CPython's own `_PyEval_SetSwitchInterval` /
//!   `_PyEval_GetSwitchInterval` — what `sys.setswitchinterval` calls — looked up at
//!   run time with `dlsym`. There they read and write one runtime-wide value and need
//!   no thread state (CPython's own waiters read that value without the GIL too).
//! * From 3.12 those functions go through the calling thread's interpreter
//!   (`_PyInterpreterState_GET()`, a thread-local that is NULL while a thread is
//!   detached), and 3.13 no longer exports them: the interval sits in a struct private
//!   to the interpreter (`interp->ceval.gil->interval`), which `take_gil` reads as each
//!   wait starts. `csrc/gil_interval.c` reaches the field instead, compiled by
//!   `build.rs` against the internal headers of the CPython PyO3 builds against, so it
//!   has that version's layout. A layout is only right for its very version, so it is
//!   used only when the running interpreter is exactly that version and the GIL's
//!   fields then read as they must (checked once, holding the GIL, in
//!   [`compiled`]). Otherwise — and where `build.rs` found no internal headers or C
//!   compiler — there is no accessor, and so no prompt hand-off.
//!
//! (An earlier way for 3.12+, asking the GIL's holder to lower the interval in a
//! pending call, measured a no-op call's p99 at 25-41 ms with four busy threads,
//! against 6-7 ms for the direct write: `pime-bench/README.md`.)

use std::os::raw::c_ulong;
#[cfg(pime_gil_interval)]
use std::os::raw::{c_int, c_void};

use pyo3::prelude::*;

/// The interval's getter and setter (in µs), callable without the GIL.
#[derive(Clone, Copy)]
pub(super) struct Accessor {
    pub(super) get: unsafe extern "C" fn() -> c_ulong,
    pub(super) set: unsafe extern "C" fn(c_ulong),
}

/// Why [`find`] found nothing, for the log.
pub(super) const MISSING: &str = "the switch interval cannot be reached without the GIL here \
     (from CPython 3.12 it needs the internal headers at build time and the very same \
     CPython at run time; elsewhere a Unix CPython)";

/// How to read and write the interval on the running CPython, if it can be done
/// soundly. Call it holding the GIL.
pub(super) fn find(py: Python<'_>) -> Option<Accessor> {
    if py.version_info() >= (3, 12) {
        compiled(py)
    } else {
        cpython_own()
    }
}

/// CPython's own getter and setter (3.11 and older).
#[cfg(unix)]
fn cpython_own() -> Option<Accessor> {
    let symbol = |name: &std::ffi::CStr| {
        // SAFETY: `dlsym` with the process-wide handle and a NUL-terminated name only
        // reads the loaded objects' symbol tables. A missing symbol is a null pointer,
        // which turns the hand-off off.
        let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        (!found.is_null()).then_some(found)
    };
    let (set, get) = (
        symbol(c"_PyEval_SetSwitchInterval")?,
        symbol(c"_PyEval_GetSwitchInterval")?,
    );
    // SAFETY: both symbols are CPython's, with the signatures `cpython/ceval.h`
    // declares (`void (unsigned long)` and `unsigned long (void)`), unchanged from
    // 3.2 to 3.11; a non-null symbol pointer is a valid function pointer.
    unsafe {
        Some(Accessor {
            set: std::mem::transmute::<*mut std::ffi::c_void, unsafe extern "C" fn(c_ulong)>(set),
            get: std::mem::transmute::<*mut std::ffi::c_void, unsafe extern "C" fn() -> c_ulong>(
                get,
            ),
        })
    }
}

#[cfg(not(unix))]
fn cpython_own() -> Option<Accessor> {
    None
}

#[cfg(pime_gil_interval)]
extern "C" {
    /// Whether the running CPython is the one whose headers `gil_interval.c` was
    /// compiled with (`Py_Version == PY_VERSION_HEX`). Reads nothing else.
    fn pime_gil_layout_matches() -> c_int;
    /// The interval in µs (a relaxed atomic load).
    fn pime_gil_interval() -> c_ulong;
    /// Sets the interval in µs (a relaxed atomic store: CPython's waiters read it
    /// under the GIL's mutex, its own setter writes it without).
    fn pime_gil_set_interval(microseconds: c_ulong);
    /// The thread state that holds (or last held) the GIL.
    fn pime_gil_last_holder() -> *mut c_void;
    /// Whether the GIL is taken.
    fn pime_gil_locked() -> c_int;
}

/// `gil_interval.c`'s accessor (3.12 and newer), when the running interpreter has the
/// layout it was compiled for: the very version, and with this thread holding the GIL,
/// the GIL taken by this thread's state and the field the interval `sys` reads.
#[cfg(pime_gil_interval)]
fn compiled(py: Python<'_>) -> Option<Accessor> {
    // SAFETY: reads `Py_Version`, a constant of the loaded libpython.
    if unsafe { pime_gil_layout_matches() } != 1 {
        return None;
    }
    // SAFETY: the running CPython is the version whose layout was compiled in, so
    // these read the main interpreter's GIL struct; this thread holds that GIL.
    let holds = unsafe {
        pime_gil_locked() == 1
            && pime_gil_last_holder() == pyo3::ffi::PyThreadState_Get().cast::<c_void>()
    };
    if !holds || !interval_matches_sys(py) {
        return None;
    }
    Some(Accessor {
        get: pime_gil_interval,
        set: pime_gil_set_interval,
    })
}

/// Without `gil_interval.c` (no internal headers or C compiler at build time, or a
/// build against CPython 3.11 or older): none.
#[cfg(not(pime_gil_interval))]
fn compiled(_py: Python<'_>) -> Option<Accessor> {
    None
}

/// Whether the field is the interval `sys` reads: it holds what `sys` says, and `sys`
/// sees what is written to it.
#[cfg(pime_gil_interval)]
fn interval_matches_sys(py: Python<'_>) -> bool {
    // Fetched first, and only CPython's own: between the probe and its undoing only
    // this C function runs, so the GIL is not let go. (A thread that starts a wait for
    // the GIL meanwhile may wait the probe's 4.3 ms once.)
    let Ok(get) = py
        .import("sys")
        .and_then(|sys| sys.getattr("getswitchinterval"))
    else {
        return false;
    };
    if !get.is_instance_of::<pyo3::types::PyCFunction>() {
        return false;
    }
    let sys_micros = || -> Option<u64> {
        let seconds: f64 = get.call0().ok()?.extract().ok()?;
        Some((seconds * 1e6).round() as u64)
    };
    // SAFETY: as in `compiled`: the layout is this version's.
    let current = from_c(unsafe { pime_gil_interval() });
    if sys_micros() != Some(current) {
        return false;
    }
    let probe = if current == 4321 { 4322 } else { 4321 };
    // SAFETY: as above.
    unsafe { pime_gil_set_interval(probe as c_ulong) };
    let seen = sys_micros();
    // SAFETY: as above.
    unsafe { pime_gil_set_interval(current as c_ulong) };
    seen == Some(probe)
}

/// A C `unsigned long` (32 bits on some platforms, 64 on Linux) as `u64`.
#[allow(clippy::useless_conversion)]
pub(super) fn from_c(value: c_ulong) -> u64 {
    value.into()
}
