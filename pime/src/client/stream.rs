//! `PyStream`: the items of a generator the broker returned, as a Rust stream.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde_value::Value;
use tokio::sync::mpsc;

use super::decode::{self, short_type_name, Decode};
use crate::error::{Error, Result};
use crate::jobs::StreamEvent;

/// The command named in decode errors of a stream typed with [`PyStream::into_typed`].
const UNTYPED_COMMAND: &str = "call_stream";

/// The items of a Python generator, from [`crate::call_stream`] (`PyStream<Value>`) or
/// from a `#[pime::python_module]` method declared `-> pime::Result<pime::PyStream<T>>`.
///
/// Implements `futures_core::Stream<Item = pime::Result<T>>`; [`PyStream::next`] needs
/// no extra trait. Each item is converted to a [`Value`] and then decoded into `T` with
/// serde (for `T = Value`, from `call_stream`, there is no second step). An exception
/// inside the generator arrives as one `Err` item, after which the stream ends. An item
/// that does not decode into `T` arrives as one `UnpackError` item naming the command,
/// the item's index and the Rust type; the stream then ends too, and the generator is
/// closed. Dropping the stream closes the generator (its `finally` blocks run).
///
/// It is `Unpin`, and `Send` and `Sync` when `T` is.
pub struct PyStream<T = Value> {
    source: Source<T>,
}

enum Source<T> {
    /// Items sent by the engine, decoded as they arrive.
    Engine {
        events: mpsc::Receiver<StreamEvent>,
        decode: Decode<T>,
        /// The command, for decode errors.
        command: &'static str,
        /// How many items came so far (the next item's index).
        index: usize,
    },
    /// Items given up front ([`PyStream::from_items`]).
    Items(std::vec::IntoIter<Result<T>>),
    /// Exhausted, failed or cut. The engine's receiver is dropped, which closes the
    /// generator if it is still running.
    Ended,
}

impl PyStream<Value> {
    pub(crate) fn new(events: mpsc::Receiver<StreamEvent>) -> Self {
        PyStream {
            source: Source::Engine {
                events,
                decode: Decode::identity(),
                command: UNTYPED_COMMAND,
                index: 0,
            },
        }
    }

    /// The same stream with each item decoded into `T` with serde. An item that does not
    /// decode ends the stream with an `UnpackError` (see [`PyStream`]).
    ///
    /// ```no_run
    /// # async fn run() -> pime::Result<()> {
    /// # let task = pime::PyTask::new0(pime::Value::String("rows".into()));
    /// let mut rows = pime::call_stream(task).await?.into_typed::<(String, u32)>();
    /// while let Some(row) = rows.next().await {
    ///     let (name, count) = row?;
    /// #   let _ = (name, count);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_typed<T: DeserializeOwned>(self) -> PyStream<T> {
        self.decoded(UNTYPED_COMMAND, decode::decode())
    }

    /// The same stream decoding its items with `decode`, naming `command` in errors.
    pub(crate) fn decoded<T>(self, command: &'static str, decode: Decode<T>) -> PyStream<T> {
        let source = match self.source {
            Source::Engine { events, index, .. } => Source::Engine {
                events,
                decode,
                command,
                index,
            },
            Source::Items(items) => Source::Items(decode_all(items, command, &decode)),
            Source::Ended => Source::Ended,
        };
        PyStream { source }
    }
}

/// Decodes given items up to the first failure, which becomes the last item.
fn decode_all<T>(
    items: std::vec::IntoIter<Result<Value>>,
    command: &str,
    decode: &Decode<T>,
) -> std::vec::IntoIter<Result<T>> {
    let mut decoded = Vec::with_capacity(items.len());
    for (index, item) in items.enumerate() {
        let item = item.and_then(|value| decode.item(command, index, value));
        let last = item.is_err();
        decoded.push(item);
        if last {
            break;
        }
    }
    decoded.into_iter()
}

impl<T> PyStream<T> {
    /// A stream of the given items, for tests and mock implementations of a
    /// `#[pime::python_module]` trait. Nothing runs in Python; the items are yielded as
    /// given, and the stream ends after the first `Err`.
    ///
    /// ```
    /// # async fn run() {
    /// let mut stream = pime::PyStream::from_items([Ok(1), Ok(2)]);
    /// assert_eq!(stream.next().await, Some(Ok(1)));
    /// assert_eq!(stream.next().await, Some(Ok(2)));
    /// assert_eq!(stream.next().await, None);
    /// # }
    /// ```
    pub fn from_items(items: impl IntoIterator<Item = Result<T>>) -> Self {
        let mut kept = Vec::new();
        for item in items {
            let last = item.is_err();
            kept.push(item);
            if last {
                break;
            }
        }
        PyStream {
            source: Source::Items(kept.into_iter()),
        }
    }

    /// The next item, or `None` once the generator is exhausted (or failed).
    pub async fn next(&mut self) -> Option<Result<T>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let (item, ends) = match &mut self.source {
            Source::Ended => return Poll::Ready(None),
            Source::Items(items) => match items.next() {
                Some(item) => (Some(item), false),
                None => (None, true),
            },
            Source::Engine {
                events,
                decode,
                command,
                index,
            } => match events.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(StreamEvent::Item(value))) => {
                    let item = decode.item(command, *index, value);
                    *index += 1;
                    // A decode failure ends the stream and so closes the generator.
                    let failed = item.is_err();
                    (Some(item), failed)
                }
                Poll::Ready(Some(StreamEvent::End)) => (None, true),
                Poll::Ready(Some(StreamEvent::Error(error))) => (Some(Err(error)), true),
                Poll::Ready(None) => (
                    Some(Err(Error::engine_state(
                        "the PIME engine stopped in the middle of the stream",
                    ))),
                    true,
                ),
            },
        };
        if ends {
            self.source = Source::Ended;
        }
        Poll::Ready(item)
    }
}

impl<T> futures_core::Stream for PyStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.source {
            Source::Ended => (0, Some(0)),
            Source::Items(items) => items.size_hint(),
            Source::Engine { .. } => (0, None),
        }
    }
}

// `Source<T>` holds no `T` while the engine feeds it, and the `Items` list only moves
// out; neither is pinned.
impl<T> Unpin for PyStream<T> {}

impl<T> fmt::Debug for PyStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("PyStream");
        debug.field("item", &short_type_name(std::any::type_name::<T>()));
        match &self.source {
            Source::Engine { command, index, .. } => debug
                .field("command", command)
                .field("received", index)
                .field("ended", &false),
            Source::Items(items) => debug.field("given", &items.len()).field("ended", &false),
            Source::Ended => debug.field("ended", &true),
        };
        debug.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn given_items_end_after_the_first_error() {
        let failure = Error::new(ErrorKind::PyException, "boom");
        let mut stream = PyStream::from_items([Ok(1u8), Err(failure.clone()), Ok(3)]);
        assert_eq!(futures_core::Stream::size_hint(&stream), (2, Some(2)));
        block_on(async {
            assert_eq!(stream.next().await, Some(Ok(1)));
            assert_eq!(stream.next().await, Some(Err(failure)));
            assert_eq!(stream.next().await, None);
            assert_eq!(stream.next().await, None);
        });
    }

    #[test]
    fn engine_items_decode_until_one_fails() {
        let (sender, receiver) = mpsc::channel(8);
        for event in [
            StreamEvent::Item(Value::I64(1)),
            StreamEvent::Item(Value::String("two".into())),
            StreamEvent::Item(Value::I64(3)),
            StreamEvent::End,
        ] {
            sender.try_send(event).expect("room");
        }
        let mut stream = PyStream::new(receiver).decoded("m.count", decode::decode::<u16>());
        assert!(
            format!("{stream:?}").contains("item: \"u16\""),
            "{stream:?}"
        );
        block_on(async {
            assert_eq!(stream.next().await, Some(Ok(1)));
            let error = stream.next().await.unwrap().unwrap_err();
            assert_eq!(error.kind, ErrorKind::UnpackError);
            assert!(
                error
                    .message
                    .starts_with("m.count: stream item 1 (a str) does not decode into `u16`: "),
                "{}",
                error.message
            );
            assert_eq!(stream.next().await, None);
        });
        // The receiver is gone, so the engine's next send fails and it closes the generator.
        assert!(sender.is_closed());
    }

    #[test]
    fn untyped_streams_keep_values_and_report_a_cut() {
        let (sender, receiver) = mpsc::channel(8);
        let value = Value::Seq(vec![Value::Unit, Value::Bool(true)]);
        sender.try_send(StreamEvent::Item(value.clone())).unwrap();
        drop(sender);
        let mut stream = PyStream::new(receiver);
        block_on(async {
            assert_eq!(stream.next().await, Some(Ok(value)));
            let cut = stream.next().await.unwrap().unwrap_err();
            assert_eq!(cut.kind, ErrorKind::PySyncEngineStateError);
            assert_eq!(stream.next().await, None);
        });
    }

    #[test]
    fn given_values_can_be_typed() {
        let values = PyStream::from_items([Ok(Value::I64(1)), Ok(Value::Bool(true))]);
        let mut typed = values.into_typed::<i32>();
        block_on(async {
            assert_eq!(typed.next().await, Some(Ok(1)));
            let error = typed.next().await.unwrap().unwrap_err();
            assert!(
                error
                    .message
                    .starts_with("call_stream: stream item 1 (a bool) does not decode into `i32`"),
                "{}",
                error.message
            );
            assert_eq!(typed.next().await, None);
        });
    }
}
