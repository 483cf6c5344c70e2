//! Cancelling a coroutine on the engine's event loop (`_pime_runtime.cancel`, which
//! marks the cancellation as PIME's own).

use pyo3::prelude::*;

use super::sources;

/// Cancels `future`; the coroutine behind it sees `CancelledError` on the loop, and
/// the future is marked as cancelled by PIME (`_pime_runtime.cancel`).
pub(crate) fn cancel_now(future: &Bound<'_, PyAny>) {
    let py = future.py();
    let cancelled =
        sources::runtime(py).and_then(|runtime| runtime.call_method1("cancel", (future,)));
    if let Err(e) = cancelled {
        log::warn!(target: "pime", "cancelling an abandoned coroutine raised: {e}");
    }
}

/// Cancels `future` from a thread of its own, which takes the GIL for it (the thread
/// that finds it abandoned may be a runtime's and must not wait for the GIL).
pub(crate) fn cancel_soon(future: Py<PyAny>) {
    let spawned = std::thread::Builder::new()
        .name("pime-cancel".into())
        .spawn(move || Python::attach(|py| cancel_now(future.bind(py))));
    if let Err(e) = spawned {
        log::warn!(target: "pime", "cannot start a thread to cancel a coroutine: {e}");
    }
}
