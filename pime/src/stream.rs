//! `PyStream`: the items of a generator the broker returned, as a Rust stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use serde_value::Value;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::reply::StreamEvent;

/// The items of a Python generator, from [`crate::call_stream`].
///
/// Implements `futures_core::Stream<Item = pime::Result<Value>>`; [`PyStream::next`]
/// needs no extra trait. An exception inside the generator arrives as one `Err` item,
/// after which the stream ends. Dropping the stream closes the generator.
#[derive(Debug)]
pub struct PyStream {
    events: mpsc::Receiver<StreamEvent>,
    ended: bool,
}

impl PyStream {
    pub(crate) fn new(events: mpsc::Receiver<StreamEvent>) -> Self {
        PyStream {
            events,
            ended: false,
        }
    }

    /// The next item, or `None` once the generator is exhausted (or failed).
    pub async fn next(&mut self) -> Option<Result<Value>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Value>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let event = match self.events.poll_recv(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(event) => event,
        };
        Poll::Ready(match event {
            Some(StreamEvent::Item(value)) => Some(Ok(value)),
            Some(StreamEvent::End) => {
                self.ended = true;
                None
            }
            Some(StreamEvent::Error(error)) => {
                self.ended = true;
                Some(Err(error))
            }
            None => {
                self.ended = true;
                Some(Err(Error::engine_state(
                    "the PIME engine stopped in the middle of the stream",
                )))
            }
        })
    }
}

impl futures_core::Stream for PyStream {
    type Item = Result<Value>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}
