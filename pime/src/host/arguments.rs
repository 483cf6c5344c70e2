//! What a host call brings from Python: its arguments as [`Value`]s by parameter, and
//! the calling task's context.

use std::collections::BTreeMap;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};
use serde_value::Value;

use super::spec::{HostArgs, HostFunctionSpec};
use crate::python::context_vars;
use crate::value;

/// One call's arguments as CPython's vectorcall passes them: `nargs` positional
/// values, then one value per name in `kwnames`.
pub(super) struct CallArgs<'a, 'py> {
    values: &'a [*mut ffi::PyObject],
    nargs: usize,
    kwnames: Option<Borrowed<'a, 'py, PyTuple>>,
    py: Python<'py>,
}

impl<'a, 'py> CallArgs<'a, 'py> {
    /// # Safety
    /// `args` holds `nargs` positional values followed by one value per name in
    /// `kwnames`, all valid for `'a`.
    pub(super) unsafe fn new(
        py: Python<'py>,
        args: *const *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
        kwnames: Option<Borrowed<'a, 'py, PyTuple>>,
    ) -> Self {
        let nargs = usize::try_from(nargs).unwrap_or(0);
        let len = nargs + kwnames.map_or(0, |names| names.len());
        let values = if len == 0 {
            &[]
        } else {
            // SAFETY: the caller's contract: `len` valid pointers from `args`.
            unsafe { std::slice::from_raw_parts(args, len) }
        };
        CallArgs {
            values,
            nargs,
            kwnames,
            py,
        }
    }

    /// The value at `index` (positional first, then the keyword ones).
    fn value(&self, index: usize) -> Borrowed<'a, 'py, PyAny> {
        // SAFETY: each pointer is a valid object for `'a` (the contract of `new`).
        unsafe { Borrowed::from_ptr(self.py, self.values[index]) }
    }
}

/// The arguments of `spec`, a function of `module` (`name`: both, for messages), as
/// [`Value`]s by parameter, with Python's own `TypeError`s for arguments the function
/// does not take.
pub(super) fn collect_args(
    module: &'static str,
    spec: &HostFunctionSpec,
    name: &str,
    call: &CallArgs<'_, '_>,
) -> PyResult<HostArgs> {
    let params = spec.params;
    if params.is_empty() && call.values.is_empty() {
        // A call of a function without parameters (a hot path: a host call costs a few
        // dozen instructions beyond the GIL's hand-off, and this skips a third of them).
        return Ok(HostArgs {
            module,
            function: spec.name,
            params,
            values: Vec::new(),
        });
    }
    if call.nargs > params.len() {
        return Err(PyTypeError::new_err(format!(
            "{name}() takes {} argument{} but {} {} given",
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            call.nargs,
            if call.nargs == 1 { "was" } else { "were" }
        )));
    }
    let mut values: Vec<Option<Value>> = Vec::with_capacity(params.len());
    values.resize_with(params.len(), || None);
    for (index, param) in params.iter().enumerate().take(call.nargs) {
        values[index] = Some(convert_arg(name, param, &call.value(index))?);
    }
    if let Some(kwnames) = call.kwnames {
        for (position, key) in kwnames.iter().enumerate() {
            let key = key.cast::<PyString>()?.to_str().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{name}() got a keyword argument whose name is not valid UTF-8 text"
                ))
            })?;
            let Some(index) = params.iter().position(|param| *param == key) else {
                let takes = if params.is_empty() {
                    "it takes no arguments".to_string()
                } else {
                    format!("it takes: {}", params.join(", "))
                };
                return Err(PyTypeError::new_err(format!(
                    "{name}() got an unexpected keyword argument '{key}' ({takes})"
                )));
            };
            if values[index].is_some() {
                return Err(PyTypeError::new_err(format!(
                    "{name}() got multiple values for argument '{key}'"
                )));
            }
            let value = call.value(call.nargs + position);
            values[index] = Some(convert_arg(name, key, &value)?);
        }
    }
    Ok(HostArgs {
        module,
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
#[inline]
pub(super) fn current_context(py: Python<'_>) -> PyResult<Option<BTreeMap<String, Value>>> {
    static CONTEXT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let Some(values) = context_vars::get(py, &CONTEXT, "pime", "_CONTEXT")? else {
        return Ok(None);
    };
    let dict = PyDict::new(py);
    dict.call_method1("update", (values,)).map_err(|error| {
        // `update` refuses what is not a mapping (or pairs) with a TypeError or a
        // ValueError: say it is the context. Anything else (a `KeyboardInterrupt` from
        // the mapping's own code, say) goes on as it is.
        if error.is_instance_of::<PyTypeError>(py) || error.is_instance_of::<PyValueError>(py) {
            PyTypeError::new_err(format!(
                "pime.context() is not a mapping: {}",
                error.value(py)
            ))
        } else {
            error
        }
    })?;
    let mut context = BTreeMap::new();
    for (key, item) in dict.iter() {
        let Ok(key) = key.extract::<String>() else {
            return Err(PyTypeError::new_err(format!(
                "pime.context() key {}: keys must be str",
                value::type_name(&key)
            )));
        };
        let item = value::from_python(&item, &key)
            .map_err(|e| PyTypeError::new_err(format!("pime.context() value: {}", e.message)))?;
        context.insert(key, item);
    }
    Ok(Some(context))
}
