//! Typed streams against a real broker: a method declared
//! `-> pime::Result<pime::PyStream<T>>` reads a Python generator's items decoded into
//! `T`; an item that does not decode, an exception halfway and a dropped stream each
//! end the stream and close the generator.

use pime::{python_module, ErrorKind, PyStream, Value};
use serde::Deserialize;

/// The module in `tests/python/typed_streams.py` (checked while compiling).
#[python_module(source = "python/typed_streams.py")]
pub trait Streams {
    async fn points(&self, n: u64, tag: &str) -> pime::Result<PyStream<Point>>;
    /// Ints, then a str at index `good`.
    #[pime(name = "mixed")]
    async fn numbers(&self, good: u32, tag: &str) -> pime::Result<PyStream<u32>>;
    async fn failing(&self, n: u32, fail_at: u32, tag: &str) -> pime::Result<PyStream<u32>>;
    async fn words(&self, text: &str) -> pime::Result<pime::PyStream<String>>;
    async fn scalar(&self) -> pime::Result<PyStream<u8>>;
    async fn wait_closed(&self, tag: &str, timeout: f64) -> pime::Result<Vec<String>>;
}

/// The same generator read untyped: a bare `PyStream` streams `pime::Value`s.
#[python_module(client = RawClient, source = "python/typed_streams.py")]
pub trait Raw {
    async fn mixed(&self, good: u32, tag: &str) -> pime::Result<PyStream>;
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct Point {
    x: f64,
    y: f64,
    label: Option<String>,
}

/// Waits until Python has closed the generator tagged `tag`.
async fn assert_closed(tag: &str) {
    let closed = StreamsClient.wait_closed(tag, 10.0).await;
    assert!(
        closed
            .as_ref()
            .is_ok_and(|tags| tags.iter().any(|t| t == tag)),
        "generator {tag} not closed: {closed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_streams_against_a_real_broker() {
    // Before the engine starts, a streaming call fails at once.
    let error = StreamsClient.points(1, "none").await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError);

    let engine = pime_tests::start("typed_streams", 2, 8).await;
    StreamsClient::verify()
        .await
        .expect("typed_streams serves Streams");
    let client = StreamsClient;

    // Typed items, decoded as they arrive; more than the 64-item buffer.
    let mut points = client.points(10_000, "all").await.unwrap();
    let mut count = 0u64;
    while let Some(point) = points.next().await {
        let i = count as f64;
        let label = (count % 2 == 1).then(|| format!("p{count}"));
        assert_eq!(
            point.unwrap(),
            Point {
                x: i,
                y: -0.5 * i,
                label
            }
        );
        count += 1;
    }
    assert_eq!(count, 10_000);
    assert_eq!(points.next().await, None, "an ended stream stays ended");
    assert_closed("all").await;

    // An async generator.
    let mut words = client.words("typed streams work").await.unwrap();
    let mut read = Vec::new();
    while let Some(word) = words.next().await {
        read.push(word.unwrap());
    }
    assert_eq!(read, ["typed", "streams", "work"]);

    // An item that does not decode: the items before it, then one UnpackError naming
    // the command, the item and the Rust type, then the end; the (endless) generator is
    // closed.
    let mut numbers = client.numbers(100, "mixed").await.unwrap();
    for i in 0..100 {
        assert_eq!(numbers.next().await, Some(Ok(i)));
    }
    let error = numbers.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::UnpackError);
    assert!(
        error
            .message
            .starts_with("mixed: stream item 100 (a str) does not decode into `u32`: "),
        "{}",
        error.message
    );
    assert_eq!(numbers.next().await, None);
    assert_closed("mixed").await;
    // The stream is still alive here: it was the decode error that closed the generator.
    drop(numbers);

    // Read untyped, the same items all arrive as values.
    let mut raw = RawClient.mixed(2, "raw").await.unwrap();
    assert_eq!(raw.next().await, Some(Ok(Value::I64(0))));
    assert_eq!(raw.next().await, Some(Ok(Value::I64(1))));
    assert_eq!(
        raw.next().await,
        Some(Ok(Value::String("not a number".into())))
    );
    assert_eq!(raw.next().await, Some(Ok(Value::I64(3))));
    drop(raw);
    assert_closed("raw").await;

    // A generator that raises halfway: the items before, the exception, the end.
    let mut failing = client.failing(10, 5, "failing").await.unwrap();
    for i in 0..5 {
        assert_eq!(failing.next().await, Some(Ok(i)));
    }
    let error = failing.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::PyException);
    assert_eq!(error.exception.as_deref(), Some("ValueError"));
    assert_eq!(error.message, "failed at 5");
    assert!(error.traceback.is_some());
    assert_eq!(failing.next().await, None);
    assert_closed("failing").await;

    // Dropping the stream early closes the generator (its `finally` runs), even while
    // Python is blocked on a full buffer.
    let mut endless = client.points(1_000_000_000, "dropped").await.unwrap();
    assert_eq!(endless.next().await.unwrap().unwrap().x, 0.0);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    drop(endless);
    assert_closed("dropped").await;

    // A stream is Send: read it on another task.
    let stream = client.points(3, "spawned").await.unwrap();
    let xs = tokio::spawn(async move {
        let mut stream = stream;
        let mut xs = Vec::new();
        while let Some(point) = stream.next().await {
            xs.push(point.unwrap().x);
        }
        xs
    })
    .await
    .unwrap();
    assert_eq!(xs, [0.0, 1.0, 2.0]);

    // A command that returns a plain value is a clear error on the first item.
    let mut scalar = client.scalar().await.unwrap();
    let error = scalar.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::UnpackError);
    assert!(error.message.contains("not int"), "{error}");
    assert_eq!(scalar.next().await, None);

    // `call_stream` + `into_typed` gives the same typed stream without the macro.
    let task = pime::PyTask::new(
        Value::String("failing".into()),
        [
            ("n".to_string(), Value::I64(3)),
            ("fail_at".to_string(), Value::I64(-1)),
            ("tag".to_string(), Value::String("untyped".into())),
        ]
        .into(),
    );
    let mut typed = pime::call_stream(task).await.unwrap().into_typed::<i8>();
    for i in 0..3 {
        assert_eq!(typed.next().await, Some(Ok(i)));
    }
    assert_eq!(typed.next().await, None);

    // The engine keeps serving.
    let mut after = client.words("still here").await.unwrap();
    assert_eq!(after.next().await, Some(Ok("still".to_string())));
    engine.stop().await.unwrap();
}
