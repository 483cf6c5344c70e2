//! Conversion failures and the place in the value they name (`result[3]["when"]`).

use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::PyTypeMethods;
use serde_value::Value;

use super::MAX_DEPTH;
use crate::error::{Error, ErrorKind};

/// One step into a nested value, kept to name the failing place in error messages.
pub(crate) enum Segment {
    Index(usize),
    Key(String),
}

/// A conversion failure: the reason, and the path to where it happened (innermost first,
/// because segments are pushed while unwinding).
pub(crate) struct Failure {
    reason: String,
    path: Vec<Segment>,
}

impl Failure {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            path: Vec::new(),
        }
    }

    /// The failure past [`MAX_DEPTH`] nested containers.
    pub(crate) fn too_deep() -> Self {
        Failure::new(format!("nesting deeper than {MAX_DEPTH} levels"))
    }

    /// The failure of a nested value too deep for this thread's stack (a thread
    /// Python started with a small one).
    pub(crate) fn no_stack_left() -> Self {
        Failure::new("nesting too deep for the stack of this thread")
    }

    pub(crate) fn at(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }

    /// `root[3]["when"]: reason`.
    pub(crate) fn into_error(self, kind: ErrorKind, root: &str) -> Error {
        let mut message = root.to_string();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Index(i) => write!(message, "[{i}]"),
                Segment::Key(k) => write!(message, "[{k}]"),
            }
            .expect("writing to a String cannot fail");
        }
        message.push_str(": ");
        message.push_str(&self.reason);
        Error::new(kind, message)
    }
}

/// A short rendering of a dict key for error paths: `"name"` for strings, the value otherwise.
pub(crate) fn key_label(key: &Value) -> String {
    match key {
        Value::String(s) if s.len() <= 40 => format!("{s:?}"),
        Value::String(s) => format!("{:?}…", s.chars().take(40).collect::<String>()),
        other => format!("{other:?}").chars().take(40).collect(),
    }
}

/// `datetime.datetime`, or `set` for builtins.
pub(crate) fn type_name(object: &Bound<'_, PyAny>) -> String {
    object
        .get_type()
        .fully_qualified_name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "<unnamed type>".into())
}
