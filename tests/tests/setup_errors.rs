//! Set-up errors say what happened where: a missing import path names itself and the
//! directory it was resolved against; a broker module that is not found lists the
//! paths searched; a Python error's `Debug` puts the traceback on lines of its own.

use pime::ErrorKind;
use pime_tests::{task, within, PYTHON_DIR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_errors_name_their_cause() {
    let missing = within(
        30,
        "start",
        pime::Engine::builder()
            .import_path("no/such/plugins")
            .broker("greeter", "broker")
            .start(),
    )
    .await
    .expect_err("a missing import path");
    assert_eq!(missing.kind, ErrorKind::ExecError);
    let cwd = std::env::current_dir().unwrap().display().to_string();
    assert!(missing.message.contains("`no/such/plugins`"), "{missing}");
    assert!(missing.message.contains(&cwd), "{missing}");
    assert!(missing.message.contains("does not exist"), "{missing}");

    let not_found = within(
        30,
        "start",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .broker("no_such_broker_module", "broker")
            .start(),
    )
    .await
    .expect_err("no such module");
    assert_eq!(not_found.exception.as_deref(), Some("ModuleNotFoundError"));
    assert!(
        not_found.message.contains("searched sys.path"),
        "{not_found}"
    );
    assert!(not_found.message.contains(PYTHON_DIR), "{not_found}");
    assert!(!pime::is_engine_started());

    // A Python exception, as `main() -> pime::Result<()>` would print it.
    let engine = within(30, "start", pime_tests::start("testmod", 1, 2)).await;
    let raise = task(
        "raise",
        &[
            ("kind", pime_tests::s("ValueError")),
            ("message", pime_tests::s("boom")),
        ],
    );
    let error = within(10, "raise", pime::call(raise))
        .await
        .expect_err("it raises");
    let debug = format!("{error:?}");
    assert!(debug.starts_with("PyException: boom\n"), "{debug}");
    assert!(
        debug.contains("\nTraceback:\n    Traceback (most recent call last):\n"),
        "{debug}"
    );
    assert!(!debug.contains("\\n"), "no escaped newlines: {debug}");
    assert!(format!("{error}").lines().count() == 1);
    within(30, "stop", engine.stop()).await.unwrap();
}
