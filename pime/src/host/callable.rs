//! The Python objects of a host function (`app.get_user`, `app.aio.get_user`): C
//! functions (`builtin_function_or_method`) that CPython calls through vectorcall,
//! their arguments an array and their keywords a tuple of names. So a call builds no
//! argument tuple or dict and goes through no generic argument parsing: most of what
//! a call to a no-op host function costs beyond the GIL's hand-off. (PyO3's
//! `#[pyclass]` `__call__` has neither vectorcall nor a way to give each function its
//! own data; a `PyMethodDef` whose `self` is that data has both.)
//!
//! Both objects' `self` is one `pime.host_function` holding the function's
//! [`FunctionShared`] and the two `PyMethodDef`s: CPython reads a function's
//! `PyMethodDef` while the function lives and drops its `self` last, so the
//! definitions live exactly as long as the objects that use them.

use std::ffi::CString;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use pyo3::exceptions::PyRecursionError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use super::arguments::CallArgs;
use super::function::{self, FunctionShared};

/// The `self` of both Python forms of one host function.
#[pyclass(frozen, module = "pime", name = "host_function")]
pub(crate) struct HostFunction {
    shared: Arc<FunctionShared>,
    /// Inside the Python object, which does not move while it lives.
    defs: MethodDefs,
}

/// The C definitions of both forms of one function.
struct MethodDefs {
    here: ffi::PyMethodDef,
    aio: ffi::PyMethodDef,
    // What the definitions point to: heap buffers, which stay put when this moves.
    _name: CString,
    _doc: CString,
}

// SAFETY: the definitions' pointers point to this struct's own strings, which nothing
// changes; CPython only reads the definitions, from whichever thread calls.
unsafe impl Send for MethodDefs {}
// SAFETY: as above: shared, they are only read.
unsafe impl Sync for MethodDefs {}

impl MethodDefs {
    /// The definitions of a function called `name` taking `signature` (its
    /// parameters, as the `.pyi` declares them without type hints), documented by
    /// `doc`.
    fn new(name: &str, signature: &str, doc: &str) -> Self {
        // CPython's form of a text signature, which `inspect.signature` reads and
        // `__doc__` leaves out; `$self` is the bound `pime.host_function`.
        let slash = if signature.is_empty() { "/" } else { "/, " };
        let doc = format!("{name}($self, {slash}{signature})\n--\n\n{doc}");
        // Neither holds a NUL: `name` is a Rust identifier, and a doc comment's NULs
        // (if one had any) are dropped.
        let name = CString::new(name).unwrap_or_default();
        let doc = CString::new(doc.replace('\0', "")).unwrap_or_default();
        let def = |entry: ffi::PyCFunctionFastWithKeywords| ffi::PyMethodDef {
            ml_name: name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunctionFastWithKeywords: entry,
            },
            ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
            ml_doc: doc.as_ptr(),
        };
        MethodDefs {
            here: def(call::<false>),
            aio: def(call::<true>),
            _name: name,
            _doc: doc,
        }
    }
}

/// The two Python objects of `shared`'s function, of the module `module`: the sync
/// form and the awaitable one.
pub(crate) fn objects<'py>(
    py: Python<'py>,
    shared: &Arc<FunctionShared>,
    module: &Bound<'py, PyString>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let this = Bound::new(
        py,
        HostFunction {
            shared: Arc::clone(shared),
            defs: MethodDefs::new(shared.name(), shared.signature(), shared.doc()),
        },
    )?;
    let new = |def: &ffi::PyMethodDef| {
        // SAFETY: the GIL is held; `def` lives inside `this`, the new function's
        // `self`, which the function keeps alive; CPython does not write to it. The
        // result is a new reference, or null with an exception set.
        unsafe {
            let function = ffi::PyCFunction_NewEx(
                std::ptr::from_ref(def).cast_mut(),
                this.as_ptr(),
                module.as_ptr(),
            );
            Bound::from_owned_ptr_or_err(py, function)
        }
    };
    let defs = &this.get().defs;
    Ok((new(&defs.here)?, new(&defs.aio)?))
}

/// `app.get_user(...)` (`AIO == false`) or `app.aio.get_user(...)`.
unsafe extern "C" fn call<const AIO: bool>(
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls it as the `METH_FASTCALL | METH_KEYWORDS` function that
    // `objects` made, whose `self` is a `HostFunction`.
    unsafe {
        enter(this, args, nargs, kwnames, |py, shared, call| {
            if AIO {
                function::call_aio(py, shared, call).map(Bound::into_ptr)
            } else {
                function::call_here(py, shared, call).map(Py::into_ptr)
            }
        })
    }
}

/// Runs `run` for a call CPython made: attached (the caller holds the GIL; PyO3 is
/// told so), with stack left for it, a panic its `pime.HostError`, an error raised as
/// its exception.
///
/// # Safety
/// The GIL is held; `this` is a `HostFunction`; `args` holds `nargs` positional
/// values followed by one value per name in `kwnames` (a tuple of `str`, or null),
/// all valid for the call.
unsafe fn enter(
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
    run: impl for<'a, 'py> FnOnce(
        Python<'py>,
        &Arc<FunctionShared>,
        &CallArgs<'a, 'py>,
    ) -> PyResult<*mut ffi::PyObject>,
) -> *mut ffi::PyObject {
    // Counts this thread as attached for PyO3 (one thread-local increment: the
    // thread holds the GIL already).
    Python::attach(|py| {
        // SAFETY: `this` is a live `HostFunction` (the caller's contract).
        let this = unsafe { Borrowed::from_ptr(py, this).cast_unchecked::<HostFunction>() };
        let shared = &this.get().shared;
        // SAFETY: the caller's contract; `kwnames`, when not null, is a tuple.
        let call = unsafe {
            let kwnames = Borrowed::from_ptr_or_opt(py, kwnames)
                .map(|names| names.cast_unchecked::<PyTuple>());
            CallArgs::new(py, args, nargs, kwnames)
        };
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
            with_stack_left(shared, || run(py, shared, &call))
        }));
        let result = ran.unwrap_or_else(|payload| Err(function::panic_error(py, shared, payload)));
        result.unwrap_or_else(|err| {
            err.restore(py);
            std::ptr::null_mut()
        })
    })
}

/// Runs `f` if this thread has the stack for another host call: a converter that
/// calls the host again recurses through here (Python's recursion limit may never be
/// reached: CPython's specialized call of a C function does not count it as a level),
/// and a thread Python started may have a small stack. Either gets a
/// `RecursionError` before the stack would overflow.
fn with_stack_left<T>(shared: &FunctionShared, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    if !crate::stack::enough_left() {
        return Err(PyRecursionError::new_err(format!(
            "{}(): not enough stack left on this thread for another host call",
            shared.qualified()
        )));
    }
    f()
}
