//! The numpy example against a real venv with numpy: made with `python3 -m venv` and
//! `pip install numpy` if `target/numpy-venv` does not exist yet (`.ci/run` makes it
//! ahead), then the example runs and its typed results are checked.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv, made by the Python this workspace embeds (its `.cargo/config.toml` pin).
fn numpy_venv() -> PathBuf {
    let venv = workspace().join("target/numpy-venv");
    if venv.join("bin/python").exists() {
        return venv;
    }
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let made = Command::new(&python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status();
    assert!(made.is_ok_and(|s| s.success()), "{python} -m venv failed");
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "numpy"])
        .status();
    assert!(
        installed.is_ok_and(|s| s.success()),
        "pip install numpy failed"
    );
    venv
}

#[test]
fn numpy_results_decode_into_typed_structs() {
    let venv = numpy_venv();
    let output = Command::new(env!("CARGO_BIN_EXE_numpy-example"))
        .arg(&venv)
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stdout.starts_with("numpy "), "{stdout}");
    assert!(
        stdout.contains(
            "Description { count: 5, sum: 25, mean: 5.0, all_positive: true, sorted: [1, 3, 5, 7, 9], histogram: [2, 1, 2] }"
        ),
        "{stdout}"
    );
}
