//! What a host call brings from Python: its arguments as [`Value`]s by parameter, and
//! the calling task's context.

use std::collections::BTreeMap;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};
use serde_value::Value;

use super::spec::{HostArgs, HostFunctionSpec};
use crate::python::context_vars;
use crate::value;

/// The arguments of `spec` (called `name` in messages) as [`Value`]s by parameter,
/// with Python's own `TypeError`s for arguments the function does not take.
pub(super) fn collect_args(
    spec: &HostFunctionSpec,
    name: &str,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<HostArgs> {
    let params = spec.params;
    if args.len() > params.len() {
        return Err(PyTypeError::new_err(format!(
            "{name}() takes {} argument{} but {} were given",
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            args.len()
        )));
    }
    let mut values: Vec<Option<Value>> = Vec::with_capacity(params.len());
    values.resize_with(params.len(), || None);
    for (index, arg) in args.iter().enumerate() {
        values[index] = Some(convert_arg(name, params[index], &arg)?);
    }
    if let Some(kwargs) = kwargs {
        for (key, arg) in kwargs.iter() {
            let key = key.cast::<PyString>()?.to_str().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{name}() got a keyword argument whose name is not valid UTF-8 text"
                ))
            })?;
            let Some(index) = params.iter().position(|param| *param == key) else {
                return Err(PyTypeError::new_err(format!(
                    "{name}() got an unexpected keyword argument '{key}' (it takes: {})",
                    params.join(", ")
                )));
            };
            if values[index].is_some() {
                return Err(PyTypeError::new_err(format!(
                    "{name}() got multiple values for argument '{key}'"
                )));
            }
            values[index] = Some(convert_arg(name, key, &arg)?);
        }
    }
    Ok(HostArgs {
        function: spec.name,
        params,
        values,
    })
}

fn convert_arg(function: &str, param: &str, arg: &Bound<'_, PyAny>) -> PyResult<Value> {
    value::from_python(arg, param).map_err(|error| {
        PyTypeError::new_err(format!(
            "{function}() argument '{param}': {}",
            error.message
        ))
    })
}

/// The context of the task this thread (or this coroutine) runs: `pime.context()`.
pub(super) fn current_context(py: Python<'_>) -> PyResult<Option<BTreeMap<String, Value>>> {
    static CONTEXT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let Some(values) = context_vars::get(py, &CONTEXT, "pime", "_CONTEXT")? else {
        return Ok(None);
    };
    let dict = PyDict::new(py);
    dict.call_method1("update", (values,))?;
    let mut context = BTreeMap::new();
    for (key, item) in dict.iter() {
        let key: String = key.extract()?;
        let item = value::from_python(&item, &key)
            .map_err(|e| PyTypeError::new_err(format!("pime.context() value: {}", e.message)))?;
        context.insert(key, item);
    }
    Ok(Some(context))
}
