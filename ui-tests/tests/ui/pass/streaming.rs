//! Streaming methods: `-> pime::Result<pime::PyStream<T>>`, checked against the
//! generators in `streams.py`, beside plain methods; a mock built with
//! `PyStream::from_items`; the futures and streams are `Send`.

use pime::{PyStream, Value};
use serde::Deserialize;

#[derive(Deserialize, Debug, PartialEq)]
pub struct Line(String);

#[pime::python_module(source = "streams.py")]
pub trait Numbers {
    /// Counts from 0 to `n`.
    async fn count(&self, n: u32, step: Option<u32>) -> pime::Result<PyStream<u32>>;
    /// A bare `PyStream` streams `pime::Value`s.
    async fn raw_lines(&self, path: &str) -> pime::Result<pime::PyStream>;
    #[pime(name = "lines")]
    async fn lines<'a>(&self, path: &'a str) -> pime::Result<PyStream<Line>>;
    async fn total(&self, n: u32) -> pime::Result<u64>;
}

/// A hand-written implementation: its streams hold the items up front.
struct Mock;

impl Numbers for Mock {
    async fn count(&self, n: u32, step: Option<u32>) -> pime::Result<PyStream<u32>> {
        let step = step.unwrap_or(1) as usize;
        Ok(PyStream::from_items((0..n).step_by(step).map(Ok)))
    }
    async fn raw_lines(&self, path: &str) -> pime::Result<PyStream> {
        Ok(PyStream::from_items([Ok(Value::String(path.into()))]))
    }
    async fn lines(&self, path: &str) -> pime::Result<PyStream<Line>> {
        Ok(PyStream::from_items([Ok(Line(path.into()))]))
    }
    async fn total(&self, n: u32) -> pime::Result<u64> {
        Ok((0..u64::from(n)).sum())
    }
}

/// Code written against the trait reads the stream the same way from both.
async fn sum(numbers: &impl Numbers, n: u32) -> pime::Result<u32> {
    let mut stream = numbers.count(n, Some(2)).await?;
    let mut sum = 0;
    while let Some(item) = stream.next().await {
        sum += item?;
    }
    Ok(sum)
}

fn assert_send<T: Send + 'static>(_: &T) {}
fn assert_stream<T: Send + Sync + Unpin + std::fmt::Debug>(_: &T) {}

fn main() {
    assert_eq!(
        NumbersClient::COMMANDS,
        ["count", "raw_lines", "lines", "total"]
    );
    assert!(NumbersClient::PYTHON_STUB.contains("from collections.abc import Iterator\n"));
    assert!(NumbersClient::PYTHON_STUB
        .contains("def count(n: int, step: int | None = None) -> Iterator[int]:"));
    assert!(NumbersClient::PYTHON_STUB.contains("def raw_lines(path: str) -> Iterator[Any]:"));
    assert!(NumbersClient::PYTHON_STUB.contains("def lines(path: str) -> Iterator[Any]:"));
    assert!(NumbersClient::PYTHON_STUB.contains("def total(n: int) -> int:"));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(sum(&Mock, 7).await, Ok(12));
        let mut lines = Mock.lines("a").await.unwrap();
        assert_stream(&lines);
        assert_eq!(lines.next().await, Some(Ok(Line("a".into()))));
        assert_eq!(lines.next().await, None);

        // The client's future is Send + 'static; with no engine running it fails at once.
        let call = NumbersClient.count(3, None);
        assert_send(&call);
        let error = call.await.unwrap_err();
        assert_eq!(error.kind, pime::ErrorKind::PySyncEngineStateError);
    });
}
