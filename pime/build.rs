//! Records which CPython PyO3 builds against, so the engine can say at start when the
//! interpreter it runs is another one (a `libpython` found first at run time).

use std::process::Command;

fn main() {
    // `cfg(Py_3_12)` and the like: the subinterpreter pool needs CPython 3.12's C API.
    pyo3_build_config::use_pyo3_cfgs();
    let config = pyo3_build_config::get();
    let mut version = config.version().to_string();
    let mut prefix = String::new();
    if let Some(executable) = config.executable() {
        let described = Command::new(executable)
            .args([
                "-c",
                "import sys; print(sys.version.split()[0]); print(sys.base_prefix)",
            ])
            .output();
        if let Some(output) = described.ok().filter(|output| output.status.success()) {
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            let mut lines = text.lines();
            version = lines.next().unwrap_or(&version).to_string();
            prefix = lines.next().unwrap_or_default().to_string();
        }
    }
    println!("cargo:rustc-env=PIME_BUILT_PYTHON_VERSION={version}");
    println!("cargo:rustc-env=PIME_BUILT_PYTHON_PREFIX={prefix}");
    println!(
        "cargo:rustc-env=PIME_BUILT_PYTHON_EXECUTABLE={}",
        config.executable().unwrap_or_default()
    );
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
}
