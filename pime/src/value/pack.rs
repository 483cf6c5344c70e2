//! Rust -> Python: `Value`s into Python objects, for the command, params and context.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};
use pyo3::IntoPyObjectExt;
use serde_value::Value;

use super::failure::{key_label, type_name, Failure, Segment};
use super::MAX_DEPTH;
use crate::error::{Error, ErrorKind};

/// Converts `value` to a Python object; `root` names it in error messages ("params").
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    value: &Value,
    root: &str,
) -> Result<Bound<'py, PyAny>, Error> {
    pack(py, value, 0).map_err(|f| f.into_error(ErrorKind::PackError, root))
}

/// Converts a params map to a Python `dict` with `str` keys.
pub(crate) fn params_to_python<'py>(
    py: Python<'py>,
    params: &BTreeMap<String, Value>,
) -> Result<Bound<'py, PyAny>, Error> {
    let dict = PyDict::new(py);
    for (key, value) in params {
        let item = pack(py, value, 0).map_err(|f| {
            f.at(Segment::Key(format!("{key:?}")))
                .into_error(ErrorKind::PackError, "params")
        })?;
        dict.set_item(key, item)
            .map_err(|e| Error::new(ErrorKind::PackError, format!("params: {e}")))?;
    }
    Ok(dict.into_any())
}

/// `depth` counts the lists and dicts around `value`, as on the way back.
fn pack<'py>(py: Python<'py>, value: &Value, depth: usize) -> Result<Bound<'py, PyAny>, Failure> {
    // `Some(v)` and newtypes are `v` itself: unwrapped in a loop, they use no depth.
    let mut value = value;
    while let Value::Option(Some(inner)) | Value::Newtype(inner) = value {
        value = inner;
    }
    let object = match value {
        Value::Unit | Value::Option(None) => py.None().into_bound(py),
        Value::Option(Some(inner)) | Value::Newtype(inner) => return pack(py, inner, depth),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::I8(n) => int(py, *n)?,
        Value::I16(n) => int(py, *n)?,
        Value::I32(n) => int(py, *n)?,
        Value::I64(n) => int(py, *n)?,
        Value::U8(n) => int(py, *n)?,
        Value::U16(n) => int(py, *n)?,
        Value::U32(n) => int(py, *n)?,
        Value::U64(n) => int(py, *n)?,
        Value::F32(x) => PyFloat::new(py, f64::from(*x)).into_any(),
        Value::F64(x) => PyFloat::new(py, *x).into_any(),
        Value::Char(c) => PyString::new(py, c.encode_utf8(&mut [0; 4])).into_any(),
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::Seq(items) => {
            let depth = enter_container(depth)?;
            let list = PyList::empty(py);
            for (i, item) in items.iter().enumerate() {
                let item = pack(py, item, depth).map_err(|f| f.at(Segment::Index(i)))?;
                list.append(item).map_err(|e| Failure::new(e.to_string()))?;
            }
            list.into_any()
        }
        Value::Map(map) => {
            let depth = enter_container(depth)?;
            let dict = PyDict::new(py);
            for (inserted, (key, item)) in map.iter().enumerate() {
                let label = || Segment::Key(key_label(key));
                let py_key = pack(py, key, depth).map_err(|f| f.at(label()))?;
                let py_item = pack(py, item, depth).map_err(|f| f.at(label()))?;
                dict.set_item(&py_key, py_item).map_err(|_| {
                    Failure::new(format!("a dict key cannot be a {}", type_name(&py_key)))
                        .at(label())
                })?;
                // Distinct keys here can be one key in Python (`1`, `true` and `1.0`).
                if dict.len() != inserted + 1 {
                    return Err(Failure::new(format!(
                        "the key {} equals another key of this map in Python (1, True and 1.0 \
                         are one dict key there); nothing was merged",
                        key_label(key)
                    ))
                    .at(label()));
                }
            }
            dict.into_any()
        }
    };
    Ok(object)
}

/// The depth inside one more list or dict, or the error past [`MAX_DEPTH`] (or past
/// what this thread's stack holds).
fn enter_container(depth: usize) -> Result<usize, Failure> {
    if depth >= MAX_DEPTH {
        return Err(Failure::too_deep());
    }
    if !crate::stack::enough_left() {
        return Err(Failure::no_stack_left());
    }
    Ok(depth + 1)
}

fn int<'py, T: IntoPyObjectExt<'py>>(py: Python<'py>, n: T) -> Result<Bound<'py, PyAny>, Failure> {
    n.into_bound_py_any(py)
        .map_err(|e| Failure::new(e.to_string()))
}
