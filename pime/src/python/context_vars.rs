//! Reading a `contextvars.ContextVar` of the embedded Python half on a hot path (every
//! host call reads the calling task's context and span): looked up once, read through
//! the C API rather than a method call by name.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// The value of the context variable `attribute` of `module` in the running context,
/// `None` when it is Python's `None` (the default of both variables, when no call
/// set them). `var` caches the variable.
#[inline]
pub(crate) fn get<'py>(
    py: Python<'py>,
    var: &'static PyOnceLock<Py<PyAny>>,
    module: &str,
    attribute: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let var = var.get_or_try_init(py, || {
        super::sources::register(py)?;
        Ok::<_, PyErr>(py.import(module)?.getattr(attribute)?.unbind())
    })?;
    let mut value = std::ptr::null_mut();
    // SAFETY: the GIL is held (`py`); `var` is a `contextvars.ContextVar` (the
    // embedded modules define it so), and `value` receives a new reference (its
    // default when the variable is not set) or stays null on error.
    let status =
        unsafe { pyo3::ffi::PyContextVar_Get(var.as_ptr(), std::ptr::null_mut(), &mut value) };
    if status < 0 || value.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `value` is a new, non-null reference owned from here on.
    let value = unsafe { Bound::from_owned_ptr(py, value) };
    Ok((!value.is_none()).then_some(value))
}
