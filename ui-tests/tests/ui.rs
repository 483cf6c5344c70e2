//! trybuild driver: every file in `tests/ui/pass` must compile (and its `main` run),
//! every file in `tests/ui/fail` must fail with the errors in the `.stderr` beside it.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p pime-ui-tests`
//! and read each one before committing it.

use std::path::{Path, PathBuf};

/// trybuild compiles the cases in its own project, `<target>/tests/trybuild/<crate>`,
/// and that project's directory is the `CARGO_MANIFEST_DIR` that `source = "..."` paths
/// are relative to. Put the Python modules there.
fn copy_python_modules() {
    let target_tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let project = target_tmp
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .join("tests")
        .join("trybuild")
        .join(env!("CARGO_PKG_NAME"));
    std::fs::create_dir_all(&project).expect("create the trybuild project directory");
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/python");
    for entry in std::fs::read_dir(&modules).expect("tests/ui/python exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "py") {
            let to = project.join(path.file_name().expect("a file name"));
            std::fs::copy(&path, &to).expect("copy a Python module for the UI tests");
        }
    }
}

#[test]
fn ui() {
    copy_python_modules();
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
