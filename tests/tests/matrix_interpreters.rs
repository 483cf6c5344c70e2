//! The matrix on the subinterpreter path (`.interpreters(2)`, CPython 3.12+): every
//! kind of command through every event (`pime_tests::matrix`). Before 3.12 there is
//! nothing to run (`interpreters.rs` checks the start error).

use pime_tests::matrix::{run, Path};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_through_every_event() {
    // The broker's state, shared by every interpreter of this process (set before
    // Python starts: `os.environ` is read then).
    let shared = pime_tests::scratch_dir(env!("CARGO_TARGET_TMPDIR"), "matrix-interpreters");
    std::env::set_var("PIME_MATRIX_DIR", &shared);
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    let cells = run(Path::Interpreters).await;
    assert!(cells.len() > 40, "{} cells", cells.len());
}
