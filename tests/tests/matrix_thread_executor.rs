//! The matrix on the thread executor path: every kind of command through every event
//! (`pime_tests::matrix`).

use pime_tests::matrix::{run, Path};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_through_every_event() {
    let cells = run(Path::ThreadExecutor).await;
    assert!(cells.len() > 40, "{} cells", cells.len());
}
