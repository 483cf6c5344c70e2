//! The converter the floor and the naive contender use: a plain recursive
//! `serde_value::Value` <-> Python converter, the kind a user writes by hand.
//!
//! It has none of PIME's extras (error paths, depth limit, cycle detection), so it is
//! the cheapest fair conversion: the floor pays it too, and PIME must come close to it.

use std::collections::BTreeMap;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_value::Value;

/// Converts `params` to a `dict` and calls `broker(command, params)`, converting the
/// result back: everything PIME does for one call, minus the dispatch.
pub fn call_broker(
    py: Python<'_>,
    broker: &Bound<'_, PyAny>,
    command: &str,
    params: &BTreeMap<String, Value>,
) -> PyResult<Option<Value>> {
    let result = broker.call1((command, params_dict(py, params)?))?;
    if result.is_none() {
        return Ok(None);
    }
    from_python(&result).map(Some)
}

/// [`call_broker`] for a broker that returns a coroutine: runs it to completion with
/// `asyncio.run` (a new event loop for this one call, on this thread), as a user
/// without an engine-owned loop would.
pub fn run_broker_coroutine(
    py: Python<'_>,
    broker: &Bound<'_, PyAny>,
    command: &str,
    params: &BTreeMap<String, Value>,
) -> PyResult<Option<Value>> {
    let coroutine = broker.call1((command, params_dict(py, params)?))?;
    let result = py.import("asyncio")?.getattr("run")?.call1((coroutine,))?;
    if result.is_none() {
        return Ok(None);
    }
    from_python(&result).map(Some)
}

/// `params` as the broker's `dict`.
fn params_dict<'py>(
    py: Python<'py>,
    params: &BTreeMap<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in params {
        dict.set_item(key, to_python(py, value)?)?;
    }
    Ok(dict)
}

/// `Value` -> Python object.
pub fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Unit | Value::Option(None) => Ok(py.None().into_bound(py)),
        Value::Option(Some(inner)) | Value::Newtype(inner) => to_python(py, inner),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::I8(n) => n.into_bound_py_any(py),
        Value::I16(n) => n.into_bound_py_any(py),
        Value::I32(n) => n.into_bound_py_any(py),
        Value::I64(n) => n.into_bound_py_any(py),
        Value::U8(n) => n.into_bound_py_any(py),
        Value::U16(n) => n.into_bound_py_any(py),
        Value::U32(n) => n.into_bound_py_any(py),
        Value::U64(n) => n.into_bound_py_any(py),
        Value::F32(x) => f64::from(*x).into_bound_py_any(py),
        Value::F64(x) => x.into_bound_py_any(py),
        Value::Char(c) => c.into_bound_py_any(py),
        Value::String(s) => s.into_bound_py_any(py),
        Value::Bytes(b) => PyBytes::new(py, b).into_bound_py_any(py),
        Value::Seq(items) => {
            let items = items
                .iter()
                .map(|item| to_python(py, item))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_bound_py_any(py)
        }
        Value::Map(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(to_python(py, key)?, to_python(py, item)?)?;
            }
            dict.into_bound_py_any(py)
        }
    }
}

/// Python object -> `Value` (`None`, bool, int, float, str, bytes, list, tuple, dict).
pub fn from_python(object: &Bound<'_, PyAny>) -> PyResult<Value> {
    if object.is_none() {
        Ok(Value::Unit)
    } else if let Ok(s) = object.cast::<PyString>() {
        Ok(Value::String(s.to_str()?.to_owned()))
    } else if let Ok(b) = object.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if let Ok(n) = object.cast::<PyInt>() {
        Ok(Value::I64(n.extract()?))
    } else if let Ok(x) = object.cast::<PyFloat>() {
        Ok(Value::F64(x.value()))
    } else if let Ok(b) = object.cast::<PyBytes>() {
        Ok(Value::Bytes(b.as_bytes().to_vec()))
    } else if let Ok(list) = object.cast::<PyList>() {
        list.iter()
            .map(|item| from_python(&item))
            .collect::<PyResult<_>>()
            .map(Value::Seq)
    } else if let Ok(tuple) = object.cast::<PyTuple>() {
        tuple
            .iter()
            .map(|item| from_python(&item))
            .collect::<PyResult<_>>()
            .map(Value::Seq)
    } else if let Ok(dict) = object.cast::<PyDict>() {
        dict.iter()
            .map(|(key, item)| Ok((from_python(&key)?, from_python(&item)?)))
            .collect::<PyResult<_>>()
            .map(Value::Map)
    } else {
        Err(PyTypeError::new_err(format!(
            "cannot convert {}",
            object.get_type().name()?
        )))
    }
}
