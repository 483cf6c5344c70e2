//! The engine names it when the CPython it runs is not the one it was built against:
//! this binary (built against Debian's 3.11) runs itself as a child with pyenv's
//! 3.11.7 `libpython3.11.so` first on `LD_LIBRARY_PATH`, which the loader then takes,
//! and the child's log shows the warning; run normally, there is none.

use std::process::Command;

use pime_tests::{start, within};

/// Prints the engine's warnings to stderr, for the parent to read.
struct Warnings;

impl log::Log for Warnings {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target() == "pime" && record.level() == log::Level::Warn {
            eprintln!("PIME WARNING: {}", record.args());
        }
    }
    fn flush(&self) {}
}

const CHILD: &str = "PIME_MISMATCH_CHILD";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_python_at_run_time_is_named() {
    if std::env::var_os(CHILD).is_some() {
        log::set_logger(&Warnings).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
        let engine = within(30, "start", start("testmod", 1, 1)).await;
        within(30, "stop", engine.stop()).await.unwrap();
        return;
    }
    // Only a build against Debian's 3.11 has another 3.11 library to be fooled by.
    if option_env!("PYO3_PYTHON") != Some("/usr/bin/python3") {
        eprintln!("skipped: built against {:?}", option_env!("PYO3_PYTHON"));
        return;
    }
    let pyenv = std::env::var("PYENV_ROOT").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.pyenv")
    });
    let lib = format!("{pyenv}/versions/3.11.7/lib");
    assert!(
        std::path::Path::new(&lib)
            .join("libpython3.11.so.1.0")
            .exists(),
        "pyenv's 3.11.7 shared build is on every machine of this kind: {lib}"
    );
    let run = |library_path: Option<&str>| {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "another_python_at_run_time_is_named",
                "--nocapture",
            ])
            .env(CHILD, "1");
        if let Some(path) = library_path {
            child.env("LD_LIBRARY_PATH", path);
        }
        let output = child.output().expect("the child runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        stderr
    };
    let fooled = run(Some(&lib));
    let warning = fooled
        .lines()
        .find(|line| line.starts_with("PIME WARNING: PIME was built against Python"))
        .unwrap_or_else(|| panic!("no warning: {fooled}"));
    assert!(warning.contains("built against Python 3.11.2"), "{warning}");
    assert!(warning.contains("runs Python 3.11.7"), "{warning}");
    assert!(warning.contains("PYO3_PYTHON"), "{warning}");
    assert_eq!(
        fooled.matches("PIME WARNING: PIME was built").count(),
        1,
        "once"
    );
    let exact = run(None);
    assert!(!exact.contains("PIME WARNING: PIME was built"), "{exact}");
}
