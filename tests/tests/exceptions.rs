//! Any exception a broker raises — `BaseException` subclasses included — reaches the
//! caller as a `PyException` with class, message and traceback; the engine keeps serving.

use pime::ErrorKind;
use pime_tests::{call_ok, s, start, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exception_reaches_the_caller() {
    let engine = start("testmod", 2, 4).await;
    let cases = [
        ("ValueError", "bad value", "bad value"),
        ("KeyError", "missing", "'missing'"),
        ("ZeroDivisionError", "zero", "zero"),
        ("SystemExit", "exit now", "exit now"),
        ("KeyboardInterrupt", "interrupted", "interrupted"),
        ("CancelledError", "cancelled", "cancelled"),
        ("GeneratorExit", "closing", "closing"),
        ("Unprintable", "x", "<unprintable _Unprintable object>"),
    ];
    for exclusive in [false, true] {
        for (kind, message, expected_message) in cases {
            let mut raising = task("raise", &[("kind", s(kind)), ("message", s(message))]);
            if exclusive {
                raising.mark_exclusive();
            }
            let error = pime::call(raising).await.unwrap_err();
            assert_eq!(error.kind, ErrorKind::PyException, "{kind}: {error}");
            let class = if kind == "Unprintable" {
                "_Unprintable"
            } else {
                kind
            };
            assert_eq!(error.exception.as_deref(), Some(class));
            assert_eq!(error.message, expected_message);
            let traceback = error.traceback.expect("a traceback");
            assert!(
                traceback.starts_with("Traceback (most recent call last)"),
                "{traceback}"
            );
            assert!(traceback.contains("in raise_"), "{traceback}");
            assert_eq!(call_ok("echo", &[("value", s("alive"))]).await, s("alive"));
        }
    }
    // An unknown command is the broker's own KeyError, like any other.
    let error = pime::call(task("no_such_command", &[])).await.unwrap_err();
    assert_eq!(error.exception.as_deref(), Some("KeyError"));
    // Wrong params reach the broker and fail there, naming the argument.
    let error = pime::call(task("echo", &[])).await.unwrap_err();
    assert_eq!(error.exception.as_deref(), Some("TypeError"));
    assert!(error.message.contains("value"), "{}", error.message);
    engine.stop().await.unwrap();
}
