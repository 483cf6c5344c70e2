//! interrupt_on_deadline with a user ThreadPoolExecutor of one thread: a busy loop
//! whose timeout passes is interrupted (README: "a timeout or the stop deadline
//! interrupts a running sync broker"), so the executor's only thread is free again;
//! (The stop deadline does interrupt it: checked too, and it holds.)

use std::time::Duration;

use pime::{ErrorKind, Value};
use pime_tests::{s, task, within, PYTHON_DIR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executor_busy_loop_is_interrupted() {
    let engine = within(
        30,
        "start",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .broker("adversarial_broker", "broker")
            .executor("adversarial_broker", "one_thread")
            .interrupt_on_deadline(true)
            .stop_timeout(Duration::from_millis(500))
            .start(),
    )
    .await
    .unwrap();
    let mut busy = task("busy", &[("tag", s("x"))]);
    busy.set_timeout(Duration::from_millis(200));
    let err = within(10, "busy", pime::call(busy)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    let next = tokio::time::timeout(
        Duration::from_secs(10),
        pime::call(task("echo", &[("value", s("free"))])),
    )
    .await;
    // The engine thread is free: ask the broker (exclusively) whether the loop ended.
    let mut probe = task(
        "wait_done",
        &[("tag", s("x")), ("timeout", Value::F64(0.0))],
    );
    probe.mark_exclusive();
    let loop_ended = within(5, "probe", pime::call(probe)).await;
    within(30, "stop", engine.stop()).await.unwrap();
    assert_eq!(
        loop_ended,
        Ok(Some(Value::Bool(true))),
        "the busy loop's finally ran"
    );
    assert!(
        matches!(next, Ok(Ok(Some(_)))),
        "next call on the executor's only thread: {next:?}"
    );
}
