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
use crate::python::coroutines::{cancel_now, cancel_soon};
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
        // With the engine stopping (or gone) its thread takes no envelope any more, but
        // the event loop runs on, and a graceful stop waits for the coroutine.
        let unsent = match self.engine.upgrade() {
            // A failed send gives the envelope back.
            Some(engine) => match engine.send(Envelope::Cancel(future)) {
                Err(mpsc::error::SendError(Envelope::Cancel(future))) => Some(future),
                _ => None,
            },
            None => Some(future),
        };
        if let Some(future) = unsent {
            cancel_soon(future);
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
