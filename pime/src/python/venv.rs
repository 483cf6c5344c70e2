//! Activating a Python virtual environment inside the embedded interpreter.

use std::path::Path;

use pyo3::prelude::*;

use super::sources;
use crate::error::{Error, ErrorKind, Result};

/// Reads `pyvenv.cfg`, checks the venv was made for the embedded Python's
/// major.minor, and puts its site-packages on `sys.path`.
pub(crate) fn activate(py: Python<'_>, venv_dir: &Path) -> Result<()> {
    let config_path = venv_dir.join("pyvenv.cfg");
    let config = std::fs::read_to_string(&config_path).map_err(|e| {
        venv_error(format!(
            "{} is not a virtual environment: cannot read {}: {e}",
            venv_dir.display(),
            config_path.display()
        ))
    })?;
    let venv_version = config_value(&config, "version_info")
        .or_else(|| config_value(&config, "version"))
        .ok_or_else(|| venv_error(format!("{} names no Python version", config_path.display())))?;
    let venv_major_minor = major_minor(venv_version);
    let embedded = py.version_info();
    let embedded_major_minor = format!("{}.{}", embedded.major, embedded.minor);
    if venv_major_minor != embedded_major_minor {
        return Err(venv_error(format!(
            "the virtual environment {} was made for Python {venv_version}, but this program embeds Python {embedded_major_minor} ({}); make the venv with python{embedded_major_minor}, or build with PYO3_PYTHON pointing at python{venv_major_minor}",
            venv_dir.display(),
            Python::version_str().lines().next().unwrap_or_default(),
        )));
    }
    let include_system = config_value(&config, "include-system-site-packages")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let site_packages = site_packages_dir(venv_dir, &embedded_major_minor);
    if !site_packages.is_dir() {
        return Err(venv_error(format!(
            "the virtual environment {} has no {}",
            venv_dir.display(),
            site_packages.display()
        )));
    }
    let activate = || -> PyResult<()> {
        sources::runtime(py)?.getattr("activate_venv")?.call1((
            venv_dir.to_string_lossy(),
            site_packages.to_string_lossy(),
            include_system,
        ))?;
        Ok(())
    };
    activate().map_err(|e| venv_error(format!("cannot activate {}: {e}", venv_dir.display())))?;
    // Process pools now start the venv's own interpreter.
    sources::runtime(py)
        .and_then(|runtime| runtime.call_method0("configure_multiprocessing"))
        .map(drop)
        .map_err(|e| venv_error(format!("cannot activate {}: {e}", venv_dir.display())))
}

/// The value of `key = value` in a `pyvenv.cfg`.
fn config_value<'a>(config: &'a str, key: &str) -> Option<&'a str> {
    config.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// `3.11` from `3.11.2` or `3.11.2.final.0`.
fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn site_packages_dir(venv_dir: &Path, major_minor: &str) -> std::path::PathBuf {
    if cfg!(windows) {
        venv_dir.join("Lib").join("site-packages")
    } else {
        venv_dir
            .join("lib")
            .join(format!("python{major_minor}"))
            .join("site-packages")
    }
}

fn venv_error(message: String) -> Error {
    Error::new(ErrorKind::ExecError, message)
}
