//! Decoding broker results into Rust types with serde, and naming what did not fit.
//!
//! Used by [`PyStream`](crate::PyStream) for its items and by the code that
//! `#[pime::python_module]` generates for results.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_value::{DeserializerError, Value};

use crate::error::{Error, ErrorKind, Result};

/// How to decode a result into `T`. Built by [`decode`], where the
/// `DeserializeOwned` bound is checked (spanned on the user's declared type).
pub struct Decode<T> {
    decode: fn(Value) -> std::result::Result<T, DeserializerError>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Decode<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Decode")
            .field(&short_type_name(std::any::type_name::<T>()))
            .finish()
    }
}

/// The decoder for results of type `T`.
pub fn decode<T: DeserializeOwned>() -> Decode<T> {
    Decode {
        decode: |value| T::deserialize(value),
        _type: PhantomData,
    }
}

impl Decode<Value> {
    /// Keeps values as they are: no second conversion for `PyStream<Value>`.
    pub(crate) fn identity() -> Self {
        Decode {
            decode: Ok,
            _type: PhantomData,
        }
    }
}

impl<T> Decode<T> {
    /// Decodes item `index` of `command`'s stream, or an `UnpackError` naming the
    /// command, the item and the expected type.
    pub(crate) fn item(&self, command: &str, index: usize, value: Value) -> Result<T> {
        self.value(value, |described| {
            format!("{command}: stream item {index} ({described})")
        })
    }

    /// Decodes a broker's result (`None` becomes `()` / `Option::None`), or an
    /// `UnpackError` naming the command and the expected type.
    pub(crate) fn result(&self, command: &str, result: Option<Value>) -> Result<T> {
        self.value(result.unwrap_or(Value::Unit), |described| {
            format!("{command}: the result ({described})")
        })
    }

    /// Decodes `value`; `what` says which value it was, given its description.
    fn value(&self, value: Value, what: impl FnOnce(String) -> String) -> Result<T> {
        let described = describe(&value);
        (self.decode)(value).map_err(|error| {
            Error::new(
                ErrorKind::UnpackError,
                format!(
                    "{} does not decode into `{}`: {error}",
                    what(described),
                    short_type_name(std::any::type_name::<T>())
                ),
            )
        })
    }
}

/// A short description of a value's kind, for error messages.
fn describe(value: &Value) -> String {
    match value {
        Value::Unit | Value::Option(None) => "None".into(),
        Value::Bool(_) => "a bool".into(),
        Value::U8(_)
        | Value::U16(_)
        | Value::U32(_)
        | Value::U64(_)
        | Value::I8(_)
        | Value::I16(_)
        | Value::I32(_)
        | Value::I64(_) => "an int".into(),
        Value::F32(_) | Value::F64(_) => "a float".into(),
        Value::Char(_) | Value::String(_) => "a str".into(),
        Value::Bytes(_) => "bytes".into(),
        Value::Seq(items) => format!("a list of {}", items.len()),
        Value::Map(map) => format!("a dict of {}", map.len()),
        Value::Option(Some(inner)) | Value::Newtype(inner) => describe(inner),
    }
}

/// `alloc::vec::Vec<core::option::Option<my::Item>>` becomes `Vec<Option<Item>>`.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_type_names() {
        assert_eq!(short_type_name("i64"), "i64");
        assert_eq!(
            short_type_name("alloc::vec::Vec<core::option::Option<my_crate::Item>>"),
            "Vec<Option<Item>>"
        );
        assert_eq!(
            short_type_name(
                "std::collections::hash::map::HashMap<alloc::string::String, (u8, &str)>"
            ),
            "HashMap<String, (u8, &str)>"
        );
    }

    #[test]
    fn decode_errors_name_command_and_type() {
        let error = decode::<Vec<i64>>()
            .result("m.cmd", Some(Value::String("x".into())))
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnpackError);
        assert!(
            error
                .message
                .starts_with("m.cmd: the result (a str) does not decode into `Vec<i64>`"),
            "{}",
            error.message
        );
        assert_eq!(decode::<()>().result("m.cmd", None), Ok(()));
        assert_eq!(decode::<Option<u8>>().result("m.cmd", None), Ok(None));
        assert_eq!(decode::<u8>().result("m.cmd", Some(Value::I64(7))), Ok(7));
    }
}
