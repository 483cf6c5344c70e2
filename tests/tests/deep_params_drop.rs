//! A caller's params nested far deeper than `pime::MAX_DEPTH` (100,000 lists, built
//! without recursion) are refused with a `PackError`, and the engine keeps serving:
//! rejecting such a value must not take the engine thread down — neither converting it
//! (bounded by the limit) nor dropping it (`serde_value::Value`'s drop recurses once
//! per level, which overflows a 2 MiB thread stack at about 10,000 levels in debug
//! builds and 20,000-50,000 in release).
//!
//! Nothing in this test recurses over the deep value on the test's own thread: it is
//! built with a loop and moved into the task.

use std::collections::BTreeMap;

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{assert_still_serving, s, start, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_params_are_refused_without_crashing() {
    let engine = within(30, "start", start("values_broker", 1, 2)).await;
    for (depth, exclusive) in [(100_000, false), (100_000, true)] {
        let deep = (0..depth).fold(Value::I64(1), |inner, _| Value::Seq(vec![inner]));
        let mut echo = PyTask::new(s("echo"), BTreeMap::from([("value".to_string(), deep)]));
        if exclusive {
            echo.mark_exclusive();
        }
        let error = within(30, "deep echo", pime::call(echo))
            .await
            .expect_err("too deep");
        assert_eq!(error.kind, ErrorKind::PackError, "{error}");
        assert_still_serving().await;
    }
    within(30, "stop", engine.stop()).await.unwrap();
}
