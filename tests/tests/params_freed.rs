//! A task's params are freed once they are converted, and a long call holds them once
//! (as Python objects), not twice: resident memory while a call with a 100 MiB string
//! param runs stays within one copy of it — a sync command on the pool and on the
//! engine thread (exclusive), an async command, a stream — and, with
//! `PIME_TESTS_POOL=interpreters`, the same in a subinterpreter. After each call its
//! Python copy goes too, without another call to release it (a coroutine's finished
//! job is not kept by the waker that would have cancelled it). (Small params go back
//! to the caller's thread to be freed there: every other test's calls take that path.)

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use pime::{PyTask, Value};
use pime_tests::{resident_mib, s, scratch_dir, start, within};

const PAYLOAD_BYTES: usize = 100 << 20;
/// What else may grow meanwhile: arenas, a thread's stack, the test's own tasks.
const SLACK_MIB: f64 = 40.0;
/// How long the broker holds the param: the test measures within that time.
const HOLD_SECONDS: f64 = 3.0;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Pooled,
    Exclusive,
    Async,
    Stream,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_params_are_freed_once_converted() {
    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "params_freed");
    let engine = within(30, "start", start("testmod", 1, 2)).await;
    let baseline = resident_mib();
    for kind in [Kind::Pooled, Kind::Exclusive, Kind::Async, Kind::Stream] {
        // The last round's Python `str` goes with its job, a moment after the answer
        // (for a coroutine: once the event loop has let its future go).
        let freed = format!("the memory of the round before {kind:?} freed");
        within(30, &freed, async {
            while resident_mib() > baseline + SLACK_MIB {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        let started = dir.join(format!("started-{kind:?}"));
        let command = match kind {
            Kind::Pooled | Kind::Exclusive => "hold",
            Kind::Async => "hold_async",
            Kind::Stream => "hold_stream",
        };
        // Moved in, not cloned: the test holds no copy of its own.
        let params = BTreeMap::from([
            (
                "payload".to_string(),
                Value::String("x".repeat(PAYLOAD_BYTES)),
            ),
            ("seconds".to_string(), Value::F64(HOLD_SECONDS)),
            ("started".to_string(), s(&started.display().to_string())),
        ]);
        let mut hold = PyTask::new(s(command), params);
        if let Kind::Exclusive = kind {
            hold.mark_exclusive();
        }
        let before = resident_mib();
        let call = tokio::spawn(async move {
            match kind {
                Kind::Stream => {
                    let mut items = pime::call_stream(hold).await?;
                    let first = items.next().await.transpose()?;
                    assert!(items.next().await.is_none(), "one item");
                    Ok(first)
                }
                _ => pime::call(hold).await,
            }
        });
        within(30, "the call starts", appears(&started)).await;
        let during = resident_mib();
        assert!(!call.is_finished(), "{kind:?}: measured while the call ran");
        let answer = within(30, "hold", call).await.unwrap().unwrap();
        assert_eq!(answer, Some(Value::I64(PAYLOAD_BYTES as i64)), "{kind:?}");
        // Before: the Rust string. During: the Python `str`, and the Rust string only
        // if it was still alive.
        assert!(
            during - before < SLACK_MIB,
            "{kind:?}: {before:.0} MiB resident before the call, {during:.0} MiB while it ran: the params were kept after their conversion"
        );
    }
    within(30, "stop", engine.stop()).await.unwrap();
}

/// Waits until the file `path` exists.
async fn appears(path: &Path) {
    while !path.exists() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
