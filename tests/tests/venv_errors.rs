//! A folder that is no venv, or a venv made for another Python, is a clear error.

use pime::ErrorKind;
use pime_tests::{make_venv, scratch_dir, start_in_venv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_venvs_are_clear_errors() {
    let not_a_venv = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "venv-missing");
    let error = start_in_venv(&not_a_venv).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::ExecError);
    assert!(
        error.message.contains("is not a virtual environment"),
        "{error}"
    );
    assert!(error.message.contains("pyvenv.cfg"), "{error}");

    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "venv-other-python");
    let venv = make_venv(&dir);
    std::fs::write(
        venv.join("pyvenv.cfg"),
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = 2.7.18\n",
    )
    .unwrap();
    let error = start_in_venv(&venv).await.unwrap_err();
    assert!(error.message.contains("made for Python 2.7.18"), "{error}");
    assert!(error.message.contains("embeds Python 3."), "{error}");
    assert!(!pime::is_engine_started());
}
