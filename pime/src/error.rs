//! The error type every PIME call returns.

use std::fmt;

/// What went wrong, in broad strokes; the [`Error::message`] says the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The broker raised a Python exception (any `BaseException`, `SystemExit` included).
    PyException,
    /// A Rust value could not be turned into a Python object (for example an
    /// unhashable dict key, or an argument that failed to serialize).
    PackError,
    /// A Python result could not be turned into a Rust value (an unsupported type, a
    /// cycle, nesting too deep, an int out of range, or a result that does not decode
    /// into the declared Rust type).
    UnpackError,
    /// The engine could not run the task at all (for example the executor refused it).
    ExecError,
    /// A bug or broken invariant inside PIME itself.
    InternalError,
    /// The engine is not in a state that allows the request (not started, stopping,
    /// stopped, or already running).
    PySyncEngineStateError,
    /// A deadline passed before the result arrived.
    Timeout,
}

/// The error of every fallible PIME operation.
///
/// For [`ErrorKind::PyException`], `exception` holds the Python class name (for example
/// `"KeyError"`) and `traceback` the formatted Python traceback.
///
/// `Display` is one line (`PyException: KeyError: 'x'`); `{:#}` adds the traceback.
/// `Debug` prints the kind, the exception, the message and the traceback on lines of
/// their own, so `fn main() -> pime::Result<()>` reads well (`{:#?}` gives the
/// struct form).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// The broad category.
    pub kind: ErrorKind,
    /// A human-readable message; for a Python exception, `str(exception)`.
    pub message: String,
    /// The Python exception class name, when the error came from Python.
    pub exception: Option<String>,
    /// The formatted Python traceback, when the error came from Python.
    pub traceback: Option<String>,
}

/// `Result<T, pime::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` with `message` and no Python details.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            exception: None,
            traceback: None,
        }
    }

    /// The error a caller gets when the engine is not running.
    pub(crate) fn engine_state(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::PySyncEngineStateError, message)
    }

    /// A task sent while the engine stops.
    pub(crate) fn refused() -> Self {
        Error::engine_state("the PIME engine is stopping and accepts no new tasks")
    }

    /// A task the engine stopped before it started.
    pub(crate) fn not_started() -> Self {
        Error::engine_state("the PIME engine stopped before the task started")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.exception {
            Some(class) => write!(f, "{:?}: {}: {}", self.kind, class, self.message)?,
            None => write!(f, "{:?}: {}", self.kind, self.message)?,
        }
        if let (true, Some(traceback)) = (f.alternate(), &self.traceback) {
            write!(f, "\n{}", traceback.trim_end())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("Error")
                .field("kind", &self.kind)
                .field("message", &self.message)
                .field("exception", &self.exception)
                .field("traceback", &self.traceback)
                .finish();
        }
        // Like anyhow's report: what `main() -> Result` prints.
        writeln!(f, "{:?}: {}", self.kind, self.message)?;
        if let Some(exception) = &self.exception {
            writeln!(f, "\nException: {exception}")?;
        }
        if let Some(traceback) = &self.traceback {
            writeln!(f, "\nTraceback:")?;
            for line in traceback.trim_end().lines() {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_puts_each_part_on_lines_of_its_own() {
        let error = Error {
            kind: ErrorKind::PyException,
            message: "'x'".into(),
            exception: Some("KeyError".into()),
            traceback: Some(
                "Traceback (most recent call last):\n  File \"m.py\", line 3\nKeyError: 'x'\n"
                    .into(),
            ),
        };
        let debug = format!("{error:?}");
        assert_eq!(
            debug,
            "PyException: 'x'\n\nException: KeyError\n\nTraceback:\n    Traceback (most recent call last):\n      File \"m.py\", line 3\n    KeyError: 'x'\n"
        );
        assert_eq!(format!("{error}"), "PyException: KeyError: 'x'");
        assert!(format!("{error:#}").ends_with("line 3\nKeyError: 'x'"));
        assert!(format!("{error:#?}").starts_with("Error {"));
        let plain = Error::new(ErrorKind::Timeout, "m.cmd: no result within 1s");
        assert_eq!(
            format!("{plain:?}"),
            "Timeout: m.cmd: no result within 1s\n"
        );
    }
}
