//! One glibc malloc setting for every contender.
//!
//! glibc returns freed heap to the kernel once the free top of the heap exceeds the
//! trim threshold; after each large call that costs page faults on the next one, and
//! it hits contenders unevenly (the floor frees everything on one thread, in one go).
//! glibc reads `MALLOC_TRIM_THRESHOLD_` only at process start, so when it is unset the
//! bench re-executes itself with it set. All contenders run in that one process, so
//! they all run under the same setting.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The variable glibc reads.
pub const TRIM_VARIABLE: &str = "MALLOC_TRIM_THRESHOLD_";

/// The bench's choice when the variable is unset: 128 MiB, far above one payload
/// call's garbage, so freed memory stays mapped and is reused.
pub const DEFAULT_TRIM_THRESHOLD: &str = "134217728";

/// What the process runs under: the variable's value, or `None` for glibc's default
/// (only when `keep_glibc_default` is set).
///
/// When the variable is unset and `keep_glibc_default` is not, this re-executes the
/// program with [`DEFAULT_TRIM_THRESHOLD`] and only returns if that fails.
pub fn ensure_trim_setting(keep_glibc_default: bool) -> std::io::Result<Option<String>> {
    if let Some(value) = std::env::var_os(TRIM_VARIABLE) {
        return Ok(Some(value.to_string_lossy().into_owned()));
    }
    if keep_glibc_default {
        return Ok(None);
    }
    let program = std::env::current_exe()?;
    let arguments: Vec<OsString> = std::env::args_os().skip(1).collect();
    // `exec` only returns on failure.
    Err(Command::new(program)
        .args(arguments)
        .env(TRIM_VARIABLE, DEFAULT_TRIM_THRESHOLD)
        .exec())
}
