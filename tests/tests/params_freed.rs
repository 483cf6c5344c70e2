//! A task's params are freed once they are converted, and a long call holds them once
//! (as Python objects), not twice: resident memory while a call with a 100 MiB string
//! param runs stays within one copy of it — on the pool, on the engine thread
//! (exclusive) and, with `PIME_TESTS_POOL=interpreters`, in a subinterpreter. (Small
//! params go back to the caller's thread to be freed there: every other test's calls
//! take that path.)

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use pime::{PyTask, Value};
use pime_tests::{resident_mib, s, scratch_dir, start, within};

const PAYLOAD_MIB: usize = 100;
/// What else may grow meanwhile: arenas, a thread's stack, the test's own tasks.
const SLACK_MIB: f64 = 40.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_params_are_freed_once_converted() {
    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "params_freed");
    let engine = within(30, "start", start("testmod", 1, 2)).await;
    for exclusive in [false, true] {
        let payload = "x".repeat(PAYLOAD_MIB << 20);
        let started = dir.join(format!("started-{exclusive}"));
        // Moved in, not cloned: the test holds no copy of its own.
        let params = BTreeMap::from([
            ("payload".to_string(), Value::String(payload)),
            ("seconds".to_string(), Value::F64(3.0)),
            ("started".to_string(), s(&started.display().to_string())),
        ]);
        let mut hold = PyTask::new(s("hold"), params);
        if exclusive {
            hold.mark_exclusive();
        }
        let before = resident_mib();
        let call = tokio::spawn(pime::call(hold));
        within(30, "the call starts", appears(&started)).await;
        let during = resident_mib();
        let answer = within(30, "hold", call).await.unwrap().unwrap();
        assert_eq!(answer, Some(Value::I64((PAYLOAD_MIB << 20) as i64)));
        // Before: the Rust string. During: the Python `str`, and the Rust string only
        // if it was still alive.
        assert!(
            during - before < SLACK_MIB,
            "exclusive {exclusive}: {before:.0} MiB resident before the call, {during:.0} MiB while it ran: the params were kept after their conversion"
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
