//! Regression: a pooled stream that its caller holds but does not read ends at stop.
//!
//! The broker's generator is infinite; the caller takes the stream and reads nothing,
//! so the pump fills the 64-item buffer and waits for room. That wait used to know
//! nothing of the engine stopping: `stop()` without a stop timeout hung forever (the
//! task never ended), and with one it returned while the generator went on feeding
//! the stream of an engine that was gone. Now the pump also wakes when the launch
//! stops and closes the generator (its `finally` runs), so:
//!
//! * without a stop timeout, `stop()` returns (within 10 s here), the generator's
//!   `finally` ran, and reading the stream afterwards gives the items already
//!   buffered (at most 64, in order), then one `Err` (the engine stopped in the middle
//!   of the stream), then `None` — never an item the generator made after the stop;
//! * with `.stop_timeout(500ms)`, the same: `stop()` returns, and the stream gives no
//!   more than what was buffered, then an error or its end.
//!
//! After stop no task can reach the broker, so the generator's bookkeeping (items
//! produced, tags closed) is read straight through the GIL (`with_python`).

use std::time::Duration;

use pime::{ErrorKind, PyStream, Value};
use pime_tests::{s, start_with, task, with_python, within};
use pyo3::prelude::*;

/// The stream's buffer (`call_stream`'s documented 64 items).
const BUFFER: usize = 64;

/// `defect_broker.<function>(tag, *rest)` through the GIL.
async fn broker_fn<T>(function: &'static str, tag: &'static str, timeout: Option<f64>) -> T
where
    T: for<'a, 'py> pyo3::FromPyObject<'a, 'py> + Send + 'static,
{
    with_python(move |py| {
        let module = py
            .import("defect_broker")
            .expect("defect_broker is imported");
        let result = match timeout {
            Some(timeout) => module.call_method1(function, (tag, timeout)),
            None => module.call_method1(function, (tag,)),
        }
        .expect("the broker function runs");
        result
            .extract::<T>()
            .map_err(Into::into)
            .expect("the result extracts")
    })
    .await
}

/// Reads what the stream still gives: the items (which must be 0, 1, 2, ... in order)
/// and the error it ended with, if any; checks it then stays ended.
async fn drain(stream: &mut PyStream) -> (usize, Option<pime::Error>) {
    let mut items = 0usize;
    let mut error = None;
    while let Some(item) = within(10, "reading the stream", stream.next()).await {
        match item {
            Ok(value) => {
                assert!(error.is_none(), "an item after the error: {value:?}");
                assert_eq!(value, Value::I64(items as i64), "items come in order");
                items += 1;
                assert!(
                    items <= BUFFER,
                    "more items than the buffer holds came after stop"
                );
            }
            Err(e) => {
                assert!(error.is_none(), "a second error: {e}");
                error = Some(e);
            }
        }
    }
    assert_eq!(within(5, "reading past the end", stream.next()).await, None);
    (items, error)
}

/// Starts a stream of the infinite generator `tag`, reads nothing, and waits until
/// its buffer is full (the generator has made one item more than the buffer holds).
async fn unread_stream(tag: &'static str) -> PyStream {
    let stream = within(
        10,
        "call_stream",
        pime::call_stream(task("forever", &[("tag", s(tag))])),
    )
    .await
    .expect("the stream starts");
    let mut wait = task(
        "wait_produced",
        &[
            ("tag", s(tag)),
            ("count", Value::I64(BUFFER as i64 + 1)),
            ("timeout", Value::F64(20.0)),
        ],
    );
    wait.mark_exclusive();
    assert_eq!(
        within(30, "the buffer fills", pime::call(wait)).await,
        Ok(Some(Value::I64(BUFFER as i64 + 1))),
        "the generator makes {BUFFER} items plus the one waiting for room, then pauses"
    );
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unread_stream_ends_at_stop() {
    // Without a stop timeout: stop must not wait for the reader.
    let engine = within(
        30,
        "start",
        start_with("defect_broker", |builder| builder.thread_pool(1, 2)),
    )
    .await;
    let mut stream = unread_stream("no-timeout").await;
    within(
        10,
        "stop with an unread stream (no stop timeout)",
        engine.stop(),
    )
    .await
    .expect("stop returns Ok");
    assert!(!pime::is_engine_started());
    assert!(
        broker_fn::<bool>("wait_closed", "no-timeout", Some(10.0)).await,
        "the generator's finally did not run"
    );
    let produced_at_stop: i64 = broker_fn("produced", "no-timeout", None).await;
    let (items, error) = drain(&mut stream).await;
    eprintln!(
        "stream_at_stop (no timeout): {items} buffered items read after stop, then {error:?}"
    );
    let error = error.expect("the stream reports that the engine stopped mid-stream");
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError, "{error}");
    assert!(error.message.contains("stop"), "{error}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        broker_fn::<i64>("produced", "no-timeout", None).await,
        produced_at_stop,
        "the generator went on after stop"
    );

    // With a stop timeout: the same, and the stream gets nothing new after stop.
    let engine = within(
        30,
        "restart",
        start_with("defect_broker", |builder| {
            builder
                .thread_pool(1, 2)
                .stop_timeout(Duration::from_millis(500))
        }),
    )
    .await;
    let mut stream = unread_stream("timeout").await;
    within(
        10,
        "stop with an unread stream (stop timeout)",
        engine.stop(),
    )
    .await
    .expect("stop returns Ok");
    assert!(!pime::is_engine_started());
    assert!(
        broker_fn::<bool>("wait_closed", "timeout", Some(10.0)).await,
        "the generator's finally did not run"
    );
    let produced_at_stop: i64 = broker_fn("produced", "timeout", None).await;
    let (items, error) = drain(&mut stream).await;
    eprintln!(
        "stream_at_stop (500 ms timeout): {items} buffered items read after stop, then {error:?}"
    );
    if let Some(error) = error {
        assert_eq!(error.kind, ErrorKind::PySyncEngineStateError, "{error}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        broker_fn::<i64>("produced", "timeout", None).await,
        produced_at_stop,
        "the generator went on after stop"
    );
}
