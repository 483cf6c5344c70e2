//! The Python half, embedded at build time so users `pip install` nothing.

use std::ffi::CString;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

/// (module name, file name, source) of each embedded module, in load order.
const MODULES: [(&str, &str, &str); 2] = [
    (
        "_pime_runtime",
        "_pime_runtime.py",
        include_str!("../../python/_pime_runtime.py"),
    ),
    (
        "pime",
        "pime/__init__.py",
        include_str!("../../python/pime/__init__.py"),
    ),
];

/// Makes `_pime_runtime` and the `pime` helper package importable, once per interpreter
/// (a relaunch keeps the modules, so a broker's registry stays the same object).
pub(crate) fn register(py: Python<'_>) -> PyResult<()> {
    let sys_modules = py.import("sys")?.getattr("modules")?;
    for (name, file_name, source) in MODULES {
        if sys_modules.contains(name)? {
            continue;
        }
        let source = CString::new(source)?;
        let file_name = CString::new(format!("<pime embedded>/{file_name}"))?;
        let module_name = CString::new(name)?;
        // `from_code` executes the module and records it in `sys.modules`.
        PyModule::from_code(py, &source, &file_name, &module_name)?;
    }
    // The engine awaits coroutines on its own loop, so `pime.Broker` need not block
    // a worker thread for them.
    let pime = py.import("pime")?;
    pime.setattr("ENGINE_AWAITS_COROUTINES", true)?;
    pime.setattr(
        "_ON_LOOP_THREAD",
        pyo3::wrap_pyfunction!(mark_event_loop_thread, py)?,
    )?;
    Ok(())
}

thread_local! {
    /// Set on the thread that runs the engine's event loop.
    static EVENT_LOOP_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread runs the engine's event loop (which must never block).
pub(crate) fn is_event_loop_thread() -> bool {
    EVENT_LOOP_THREAD.with(std::cell::Cell::get)
}

/// `pime._ON_LOOP_THREAD`: called on the event loop's thread as it starts.
#[pyfunction]
fn mark_event_loop_thread() {
    EVENT_LOOP_THREAD.with(|flag| flag.set(true));
}

/// The internal runtime module (registered and imported once per interpreter).
pub(crate) fn runtime(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    static RUNTIME: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    RUNTIME
        .get_or_try_init(py, || {
            register(py)?;
            Ok(py.import("_pime_runtime")?.unbind())
        })
        .map(|runtime| runtime.bind(py).clone())
}

#[cfg(test)]
mod tests {
    use super::MODULES;

    /// The crate carries copies of the Python half (a published crate cannot reach
    /// the workspace's `python/` folder, where it is developed and tested): they must
    /// be the same files. `cp python/_pime_runtime.py python/pime/__init__.py` into
    /// `pime/python/` after changing them.
    #[test]
    fn embedded_sources_are_the_python_folder() {
        let workspace_python = concat!(env!("CARGO_MANIFEST_DIR"), "/../python");
        if !std::path::Path::new(workspace_python).is_dir() {
            return; // Built from a package: only the copies exist.
        }
        // The subinterpreter workers' module (`interpreters/interpreter.rs`).
        let interpreter = (
            "",
            "_pime_interpreter.py",
            include_str!("../../python/_pime_interpreter.py"),
        );
        for (_, file_name, embedded) in MODULES.into_iter().chain([interpreter]) {
            let original = std::fs::read_to_string(format!("{workspace_python}/{file_name}"))
                .unwrap_or_else(|e| panic!("python/{file_name}: {e}"));
            assert!(
                original == embedded,
                "pime/python/{file_name} differs from python/{file_name}: copy it over"
            );
        }
    }
}
