//! Which CPython runs, against the one PyO3 built against (recorded by `build.rs`).
//!
//! A binary links `libpython3.X.so` by name; without an rpath the loader takes the
//! first one it finds, which may be another installation's (Debian's instead of
//! pyenv's): packages installed for the Python you built with are then invisible.

use std::sync::Once;

use pyo3::prelude::*;

/// The CPython PyO3 built against: full version and `sys.base_prefix`.
const BUILT_VERSION: &str = env!("PIME_BUILT_PYTHON_VERSION");
const BUILT_PREFIX: &str = env!("PIME_BUILT_PYTHON_PREFIX");
const BUILT_EXECUTABLE: &str = env!("PIME_BUILT_PYTHON_EXECUTABLE");

/// Logs one warning per process when the embedded interpreter is not the one PIME
/// was built against.
pub(crate) fn warn_if_mismatched(py: Python<'_>) {
    static CHECKED: Once = Once::new();
    CHECKED.call_once(|| {
        let running = py.import("sys").and_then(|sys| {
            let version: String = sys.getattr("version")?.extract()?;
            let prefix: String = sys.getattr("base_prefix")?.extract()?;
            Ok((
                version
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                prefix,
            ))
        });
        if let Ok((version, prefix)) = running {
            if let Some(warning) = mismatch(&version, &prefix) {
                log::warn!(target: "pime", "{warning}");
            }
        }
    });
}

/// The warning for an interpreter `version` / `prefix` other than the built one.
fn mismatch(version: &str, prefix: &str) -> Option<String> {
    let same_version = version == BUILT_VERSION || !BUILT_VERSION.contains('.');
    let same_prefix = BUILT_PREFIX.is_empty() || prefix == BUILT_PREFIX;
    if same_version && same_prefix {
        return None;
    }
    Some(format!(
        "PIME was built against Python {BUILT_VERSION} ({BUILT_EXECUTABLE}, prefix {BUILT_PREFIX}) \
         but runs Python {version} (prefix {prefix}): the loader found another libpython. \
         Packages installed for the first are not visible. Fix: pin PYO3_PYTHON in \
         .cargo/config.toml [env] and call pyo3_build_config::add_libpython_rpath_link_args() \
         in your build.rs (README, \"Use PIME in your crate\"), or put the right lib/ on \
         LD_LIBRARY_PATH"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_another_interpreter_is_reported() {
        assert_eq!(mismatch(BUILT_VERSION, BUILT_PREFIX), None);
        let other = mismatch("3.0.0", "/elsewhere").expect("a warning");
        assert!(
            other.contains("runs Python 3.0.0 (prefix /elsewhere)"),
            "{other}"
        );
        assert!(other.contains(BUILT_VERSION), "{other}");
        assert!(other.contains("add_libpython_rpath_link_args"), "{other}");
    }
}
