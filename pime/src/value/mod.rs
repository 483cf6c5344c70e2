//! Conversion between `serde_value::Value` and Python objects (the README's value table), both ways,
//! in one pass.
//!
//! Written by hand because `pythonize` 0.29 is pinned to PyO3 0.29 and goes through
//! serde's data model; this converter writes Python objects straight from `Value` and
//! back, bounds recursion, detects cycles and names the failing place in the value.
//!
//! * `pack`: Rust -> Python (command, params, context).
//! * `unpack`: Python -> Rust (results, stream items): the plain types first, on the fast path.
//! * `library`: what Python libraries return (numpy scalars and arrays, dataclasses,
//!   `Enum`s, `datetime`s, `Decimal`, `UUID`, paths, sets) and the converters registered
//!   with `pime.register_converter`, tried only when the fast path did not take an object.
//! * `failure`: the errors, naming the place in the value.
//!
//! May use: `error` only.

mod failure;
mod library;
mod pack;
mod unpack;

use serde_value::Value;

pub(crate) use failure::type_name;
// The subinterpreter pool (built against CPython 3.12+) converts with the same errors.
#[cfg_attr(not(Py_3_12), allow(unused_imports))]
pub(crate) use failure::{key_label, Failure, Segment};
pub(crate) use pack::{params_to_python, to_python};
pub(crate) use unpack::from_python;
pub(crate) use unpack::result_from_python_for;
#[cfg_attr(not(Py_3_12), allow(unused_imports))]
pub(crate) use unpack::{shortened_label, unpack_entries, within_container};

/// The deepest nesting of containers that crosses the boundary, either way: lists and
/// dicts, and on the way back also tuples, sets, dataclasses and the objects converted
/// through another (a converter's result, an `Enum`'s value, an array's `tolist()`).
/// Deeper values are an error, so conversion never overflows the stack.
pub const MAX_DEPTH: usize = 200;

/// Drops `value` without recursion: a value nested deeper than the thread's stack
/// allows (which conversion refuses) would otherwise overflow it while being dropped.
pub(crate) fn drop_iteratively(value: Value) {
    // Leaves need no stack (and no allocation); containers are opened one at a time.
    let mut pending = Vec::new();
    let mut next = Some(value);
    while let Some(value) = next.take().or_else(|| pending.pop()) {
        match value {
            Value::Seq(items) => pending.extend(items),
            Value::Map(map) => {
                for (key, item) in map {
                    pending.push(key);
                    pending.push(item);
                }
            }
            Value::Option(Some(inner)) | Value::Newtype(inner) => pending.push(*inner),
            _ => {}
        }
    }
}
