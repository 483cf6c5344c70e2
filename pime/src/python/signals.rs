//! Ctrl-C belongs to the Rust program.
//!
//! When CPython's `signal` module is first imported and SIGINT has its default
//! disposition, CPython installs its own handler, which only sets a flag for Python's
//! main thread to raise `KeyboardInterrupt`. In a Rust program that embeds Python the
//! flag is never acted on, so Ctrl-C would be swallowed. The engine therefore imports
//! `signal` itself, once, and puts SIGINT's disposition back as it was.

use pyo3::prelude::*;

/// Imports `signal` and restores the SIGINT disposition the process had before.
/// Does nothing when `signal` was already imported (then the program chose already).
pub(crate) fn import_signal_keeping_sigint(py: Python<'_>) -> PyResult<()> {
    if py.import("sys")?.getattr("modules")?.contains("_signal")? {
        return Ok(());
    }
    #[cfg(unix)]
    {
        // SAFETY: `sigaction` is plain old data; all-zero is a valid (empty) value.
        let mut before: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: with a null new action, sigaction only writes the current SIGINT
        // disposition into `before`, a live struct of the right type.
        unsafe { libc::sigaction(libc::SIGINT, std::ptr::null(), &mut before) };
        py.import("signal")?;
        // SAFETY: `before` holds the disposition read above, unchanged; putting it back
        // undoes only what importing `signal` did. A null old-action pointer is allowed.
        unsafe { libc::sigaction(libc::SIGINT, &before, std::ptr::null_mut()) };
    }
    #[cfg(not(unix))]
    py.import("signal")?;
    Ok(())
}
