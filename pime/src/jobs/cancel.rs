//! Cancelling a coroutine when its caller gives up.
//!
//! A task whose broker returned a coroutine runs on the engine's asyncio loop. If the
//! Rust caller drops its future, the coroutine should see `CancelledError` rather
//! than run on for nothing. Nobody polls for that: a waker is registered on the
//! caller's reply channel (`oneshot::Sender::poll_closed`); tokio wakes it when the
//! receiver is dropped, and the wake sends the Python future to the engine thread,
//! which cancels it with the GIL held. A task that completes first drops the waker
//! unused, so calls that finish normally pay nothing but the registration.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use pyo3::prelude::*;
use tokio::sync::mpsc;

use super::envelope::Envelope;
use super::reply::{ReplySlot, ReplyTo};
use crate::python::sources;
use crate::waiting::lock;

/// The wake-up that forwards one Python future to its engine for cancelling.
struct CancelOnDrop {
    future: Mutex<Option<Py<PyAny>>>,
    /// The engine thread of the launch that runs the coroutine.
    engine: mpsc::WeakUnboundedSender<Envelope>,
}

impl Wake for CancelOnDrop {
    fn wake(self: Arc<Self>) {
        let Some(future) = lock(&self.future).take() else {
            return;
        };
        // The engine gone (the send fails too when it is stopping): its loop ends the
        // coroutine anyway.
        if let Some(engine) = self.engine.upgrade() {
            let _ = engine.send(Envelope::Cancel(future));
        }
    }
}

/// Arranges for `future` (a `concurrent.futures.Future` of a coroutine on the
/// engine's loop) to be cancelled when the caller waiting on `reply` goes away.
pub(crate) fn cancel_when_abandoned(
    reply: &ReplySlot,
    future: &Bound<'_, PyAny>,
    engine: &mpsc::WeakUnboundedSender<Envelope>,
) {
    let waker = Waker::from(Arc::new(CancelOnDrop {
        future: Mutex::new(Some(future.clone().unbind())),
        engine: engine.clone(),
    }));
    let abandoned = reply.with_reply(|reply| match reply {
        Some(ReplyTo::Once(sender)) => {
            sender.poll_closed(&mut Context::from_waker(&waker)) == Poll::Ready(())
        }
        _ => false,
    });
    if abandoned {
        // Gone already: cancel now (we hold the GIL).
        cancel_now(future);
    }
}

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
