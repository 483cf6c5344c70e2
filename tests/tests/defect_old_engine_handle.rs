//! Regression: the handle of an engine that was stopped another way never stops a
//! later launch.
//!
//! Engine A is started with the builder and stopped with `pime::stop()`; engine B is
//! started. `A_handle.stop()` used to call the process-wide `stop()`, which stopped B.
//! Now a handle belongs to its launch's generation: for a launch already stopped it
//! only waits for that launch's thread to end and returns Ok, and B goes on serving
//! until it is stopped through its own handle.

use pime_tests::{assert_still_serving, start_with, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_handle_does_not_stop_a_later_engine() {
    let a = within(
        30,
        "start A",
        start_with("defect_broker", |builder| builder.thread_pool(1, 1)),
    )
    .await;
    assert_still_serving().await;
    within(10, "pime::stop() of A", pime::stop())
        .await
        .expect("A stops");
    assert!(!pime::is_engine_started());

    let b = within(
        30,
        "start B",
        start_with("defect_broker", |builder| builder.thread_pool(1, 1)),
    )
    .await;
    assert_still_serving().await;

    within(10, "A's handle stop()", a.stop())
        .await
        .expect("A's handle waits for A's thread, which ended well");
    assert!(
        pime::is_engine_started(),
        "A's handle stopped B: the engine is offline"
    );
    // B still serves, several calls over a moment (a stop in progress would refuse them).
    for _ in 0..20 {
        assert_still_serving().await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_still_serving().await;
    assert!(pime::is_engine_started());

    within(10, "B's handle stop()", b.stop())
        .await
        .expect("B stops normally");
    assert!(!pime::is_engine_started());
}
