//! Interrupting a running sync broker when its deadline passes (opt-in with
//! [`crate::EngineBuilder::interrupt_on_deadline`]).
//!
//! The way Ctrl-C interrupts Python code: `KeyboardInterrupt` is raised in the thread
//! that runs the broker (`PyThreadState_SetAsyncExc`), so a pure-Python loop stops at
//! its next bytecode and its worker is free again. C code that does not return to the
//! interpreter (a `time.sleep`, a long C call) sees it only when it returns.
//!
//! Soundness rests on the GIL: the thread running the broker publishes its thread
//! ident before the call and withdraws it after, both while holding the GIL, and the
//! interrupter reads it and raises while holding the GIL too. So whenever the
//! interrupter sees an ident, that thread is inside the broker call, and the exception
//! can land in no other task. An exception raised just as the broker returns stays
//! pending in its thread state; the thread clears it before it runs anything else.

use std::os::raw::c_long;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use pyo3::ffi;
use pyo3::prelude::*;

/// One task's interrupt handle, shared by its caller, its job and the stop sequence.
#[derive(Debug, Default)]
pub(crate) struct Interrupt {
    /// The ident of the thread running the broker; 0 while none is. Written only by
    /// that thread, with the GIL held.
    running_on: AtomicU64,
    /// An interrupt was raised in that thread.
    raised: AtomicBool,
}

impl Interrupt {
    /// Runs `call` (the broker) on this thread, which holds the GIL, as interruptible.
    pub(crate) fn run<R>(&self, _py: Python<'_>, call: impl FnOnce() -> R) -> R {
        let ident = this_thread();
        self.running_on.store(ident, Ordering::Release);
        let result = call();
        self.running_on.store(0, Ordering::Release);
        if self.raised.swap(false, Ordering::AcqRel) {
            // SAFETY: this thread holds the GIL (`_py`); a null exception clears what
            // `raise` left pending in this thread's own state, if anything.
            unsafe { ffi::PyThreadState_SetAsyncExc(ident as c_long, std::ptr::null_mut()) };
        }
        result
    }

    /// Raises `KeyboardInterrupt` in the thread running the broker, if one is; returns
    /// whether it did.
    pub(crate) fn raise(&self, _py: Python<'_>) -> bool {
        let ident = self.running_on.load(Ordering::Acquire);
        if ident == 0 {
            return false;
        }
        self.raised.store(true, Ordering::Release);
        // SAFETY: the GIL is held (`_py`). `ident` names a live thread state: that
        // thread is inside `run`, which it cannot leave without the GIL. The exception
        // type is CPython's own static object; the call takes its own reference.
        unsafe { ffi::PyThreadState_SetAsyncExc(ident as c_long, ffi::PyExc_KeyboardInterrupt) };
        true
    }
}

impl Interrupt {
    /// [`Interrupt::raise`] from a thread of its own, which takes the GIL for it: the
    /// caller (an async task, or the thread the broker blocks) must not wait for it.
    pub(crate) fn raise_soon(self: std::sync::Arc<Self>) {
        let spawned = std::thread::Builder::new()
            .name("pime-interrupt".into())
            .spawn(move || Python::attach(|py| self.raise(py)));
        if let Err(e) = spawned {
            log::warn!(target: "pime", "cannot start a thread to interrupt a broker: {e}");
        }
    }
}

/// The ident CPython keeps in this thread's state (`threading.get_ident()`).
// `c_ulong` is `u32` on some targets.
#[allow(clippy::useless_conversion)]
fn this_thread() -> u64 {
    // SAFETY: `PyThread_get_thread_ident` only reads the OS thread id; it needs no GIL.
    u64::from(unsafe { ffi::PyThread_get_thread_ident() })
}
