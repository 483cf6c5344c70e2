//! Records which CPython PyO3 builds against, so the engine can say at start when the
//! interpreter it runs is another one (a `libpython` found first at run time); from
//! CPython 3.12, compiles the GIL's switch-interval accessor (`csrc/gil_interval.c`).

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
    compile_gil_interval(config);
}

/// From CPython 3.12 the GIL's switch interval sits in a struct private to the
/// interpreter: `csrc/gil_interval.c` reaches it, compiled against the internal headers
/// of the Python PyO3 builds against, and sets `cfg(pime_gil_interval)`. Without those
/// headers or a C compiler the build goes on without it (a warning says so), and there
/// is no prompt GIL hand-off (`pool/gil_handoff.rs`).
fn compile_gil_interval(config: &pyo3_build_config::InterpreterConfig) {
    println!("cargo::rustc-check-cfg=cfg(pime_gil_interval)");
    println!("cargo:rerun-if-changed=csrc/gil_interval.c");
    let cpython_3_12 = config.implementation() == pyo3_build_config::PythonImplementation::CPython
        && config.version()
            >= pyo3_build_config::PythonVersion {
                major: 3,
                minor: 12,
            }
        && !config.is_free_threaded();
    let unix = std::env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|family| family == "unix");
    // The headers are found through the build machine's Python: only right for it.
    let native = std::env::var("HOST").ok() == std::env::var("TARGET").ok();
    if !cpython_3_12 || !unix || !native {
        return;
    }
    let include = config.executable().and_then(|executable| {
        let output = Command::new(executable)
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['include'])",
            ])
            .output()
            .ok()
            .filter(|output| output.status.success())?;
        let include = String::from_utf8_lossy(&output.stdout).trim().to_string();
        std::path::Path::new(&include)
            .join("internal/pycore_interp.h")
            .is_file()
            .then_some(include)
    });
    let Some(include) = include else {
        println!("cargo:warning=pime: no internal headers (internal/pycore_interp.h) of the Python PyO3 builds against; without them there is no prompt GIL hand-off");
        return;
    };
    let compiled = cc::Build::new()
        .file("csrc/gil_interval.c")
        .include(&include)
        .warnings(false)
        .cargo_warnings(false)
        .try_compile("pime_gil_interval");
    match compiled {
        Ok(()) => {
            println!("cargo:rustc-cfg=pime_gil_interval");
            // Rebuilt when that Python is upgraded in place.
            println!("cargo:rerun-if-changed={include}/patchlevel.h");
        }
        Err(e) => println!("cargo:warning=pime: cannot compile csrc/gil_interval.c against {include} ({e}); without it there is no prompt GIL hand-off"),
    }
}
