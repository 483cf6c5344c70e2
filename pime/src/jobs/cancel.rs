//! Cancelling a coroutine when its caller gives up.
//!
//! A task whose broker returned a coroutine runs on the engine's asyncio loop. If the
//! Rust caller drops its future, the coroutine should see `CancelledError` rather
//! than run on for nothing. Nobody polls for that: a waker is registered on the
//! caller's reply channel (`oneshot::Sender::poll_closed`); tokio wakes it when the
//! receiver is dropped, and the wake sends the Python future to the engine thread,
//! which cancels it with the GIL held. A task that completes first drops the waker
//! unused, so calls that finish normally pay nothing but the registration.

use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use pyo3::prelude::*;
use tokio::sync::mpsc;

use super::envelope::Envelope;
use super::reply::{ReplySlot, ReplyTo};
use crate::python::coroutines::{cancel_now, cancel_soon};

/// The wake-up that forwards one Python future to its engine for cancelling.
struct CancelOnDrop {
    /// The task's reply slot, which holds the future while the coroutine runs and
    /// forgets it, holding the GIL, once the task has ended. The waker itself holds
    /// nothing of Python's: the caller's thread drops it with the channel, without the
    /// GIL, and a future held here would keep the finished job (its params, its
    /// context) alive until some thread next took the GIL.
    slot: Weak<ReplySlot>,
    /// The engine thread of the launch that runs the coroutine.
    engine: mpsc::WeakUnboundedSender<Envelope>,
}

impl Wake for CancelOnDrop {
    fn wake(self: Arc<Self>) {
        let Some(future) = self.slot.upgrade().and_then(|slot| slot.take_coroutine()) else {
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
    reply: &Arc<ReplySlot>,
    future: &Bound<'_, PyAny>,
    engine: &mpsc::WeakUnboundedSender<Envelope>,
) {
    let waker = Waker::from(Arc::new(CancelOnDrop {
        slot: Arc::downgrade(reply),
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
