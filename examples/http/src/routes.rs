//! HTTP to PIME and back: every GET path becomes one task for the Python broker.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use pime::{ErrorKind, PyTask, Value};
use tracing::Instrument;

/// The whole site: `/metrics` (PIME's counters for Prometheus), and any other path,
/// GET (and HEAD) only, answered by Python; other methods get 405 from axum.
pub fn router() -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback_service(get(answer))
}

/// `pime::stats()` in the Prometheus text format.
async fn metrics() -> Response {
    let content_type = [("content-type", "text/plain; version=0.0.4")];
    (StatusCode::OK, content_type, pime::stats_prometheus()).into_response()
}

/// Runs `broker(path, {"query": .., "headers": ..})` and turns the outcome into a
/// response.
///
/// The path is passed as received (still percent-encoded). For a query key given
/// twice the last value wins; repeated headers are joined with `", "`; headers
/// that are not valid UTF-8 are left out.
///
/// Each request gets an id (the `x-request-id` header, or the next number): the
/// broker reads it with `pime.context()["request_id"]`, the response carries it
/// back, and the request's trace is the span `request{id=..}`.
async fn answer(
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let path = uri.path();
    let id = headers
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| NEXT_ID.fetch_add(1, Ordering::Relaxed).to_string());
    let started = Instant::now();
    let mut task = task(path, query, &headers);
    task.set_context("request_id", Value::String(id.clone()));
    let span = tracing::info_span!("request", id = id.as_str(), path);
    let outcome = pime::call(task).instrument(span).await;
    let mut response = respond(path, outcome);
    if let Ok(value) = id.parse() {
        response.headers_mut().insert("x-request-id", value);
    }
    log::debug!(
        "GET {uri} -> {} in {:.1?}",
        response.status(),
        started.elapsed()
    );
    response
}

fn task(path: &str, query: Vec<(String, String)>, headers: &HeaderMap) -> PyTask {
    let query: BTreeMap<Value, Value> = query
        .into_iter()
        .map(|(key, value)| (Value::String(key), Value::String(value)))
        .collect();
    let mut joined: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        joined
            .entry(name.as_str().to_owned())
            .and_modify(|previous| {
                previous.push_str(", ");
                previous.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    let headers = joined
        .into_iter()
        .map(|(name, value)| (Value::String(name), Value::String(value)))
        .collect();
    let params = BTreeMap::from([
        ("query".to_owned(), Value::Map(query)),
        ("headers".to_owned(), Value::Map(headers)),
    ]);
    PyTask::new(Value::String(path.to_owned()), params)
}

/// 200 with the broker's `str`; 404 for `KeyError`; 503 when the engine is not
/// running; 500 for anything else. Error details and tracebacks go to the log,
/// never to the client: they may reveal code and data.
fn respond(path: &str, outcome: pime::Result<Option<Value>>) -> Response {
    match outcome {
        Ok(Some(Value::String(body))) => (StatusCode::OK, body).into_response(),
        Ok(other) => {
            log::error!("GET {path}: the broker returned {other:?}, not a str");
            internal_error()
        }
        Err(error) if error.kind == ErrorKind::PyException => {
            if error.exception.as_deref() == Some("KeyError") {
                return (StatusCode::NOT_FOUND, "not found\n").into_response();
            }
            log::error!(
                "GET {path}: {}: {}\n{}",
                error.exception.as_deref().unwrap_or("exception"),
                error.message,
                error.traceback.as_deref().unwrap_or("(no traceback)"),
            );
            internal_error()
        }
        Err(error) if error.kind == ErrorKind::PySyncEngineStateError => {
            log::warn!("GET {path}: {error}");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable\n").into_response()
        }
        Err(error) => {
            log::error!("GET {path}: {error}");
            internal_error()
        }
    }
}

fn internal_error() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python_error(class: &str) -> pime::Error {
        let mut error = pime::Error::new(ErrorKind::PyException, "detail");
        error.exception = Some(class.to_owned());
        error.traceback = Some("Traceback (most recent call last): ...".to_owned());
        error
    }

    #[test]
    fn outcomes_map_to_statuses() {
        let status = |outcome| respond("/x", outcome).status();
        assert_eq!(status(Ok(Some(Value::String("hi".into())))), StatusCode::OK);
        assert_eq!(status(Err(python_error("KeyError"))), StatusCode::NOT_FOUND);
        assert_eq!(
            status(Err(python_error("ValueError"))),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(status(Ok(None)), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            status(Ok(Some(Value::I64(1)))),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let stopped = pime::Error::new(ErrorKind::PySyncEngineStateError, "stopped");
        assert_eq!(status(Err(stopped)), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn params_carry_query_and_joined_headers() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", "1".parse().unwrap());
        headers.append("x-a", "2".parse().unwrap());
        let query = vec![("k".into(), "old".into()), ("k".into(), "new".into())];
        let task = task("/p", query, &headers);
        assert_eq!(task.command(), &Value::String("/p".into()));
        let params = task.params().unwrap();
        let map = |pairs: &[(&str, &str)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (Value::String((*k).into()), Value::String((*v).into())))
                    .collect(),
            )
        };
        assert_eq!(params["query"], map(&[("k", "new")]));
        assert_eq!(params["headers"], map(&[("x-a", "1, 2")]));
    }
}
