//! The builder reports set-up errors from `start()` and leaves the engine offline.

use pime::ErrorKind;
use pime_tests::{start, PYTHON_DIR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_reports_setup_errors() {
    let missing = pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker("no_such_module_here", "broker")
        .start()
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::ExecError);
    assert_eq!(missing.exception.as_deref(), Some("ModuleNotFoundError"));
    assert!(
        missing.message.contains("no_such_module_here.broker"),
        "{missing}"
    );

    let no_broker = pime::Engine::builder().start().await.unwrap_err();
    assert!(no_broker.message.contains("no broker"), "{no_broker}");

    let bad_pool = pime::Engine::builder()
        .thread_pool(3, 1)
        .broker("testmod", "broker")
        .start()
        .await
        .unwrap_err();
    assert_eq!(bad_pool.kind, ErrorKind::ExecError);

    // After failed starts the engine is offline and a good start works.
    assert!(!pime::is_engine_started());
    let engine = start("testmod", 1, 2).await;
    engine.stop().await.unwrap();
}
