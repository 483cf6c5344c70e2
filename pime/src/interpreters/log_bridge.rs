//! Python `logging` in a subinterpreter, to Rust (`python::log_record::record`: a tracing
//! event in the call's span, or a `log` record). The main interpreter's bridge is a
//! PyO3 function, which a subinterpreter must not call; each interpreter gets this C
//! function instead, made from a static `PyMethodDef` (static data only, no object).

use std::panic::AssertUnwindSafe;

use pyo3::ffi;

use super::object::{Gil, Object};
use crate::python::log_record::{self, Record};

/// The definition CPython keeps a pointer to for the function's whole life.
struct Definition(ffi::PyMethodDef);

// SAFETY: it holds pointers to static strings and a function only; CPython reads it.
unsafe impl Sync for Definition {}

static EMIT: Definition = Definition(ffi::PyMethodDef {
    ml_name: c"emit".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer { PyCFunction: emit },
    ml_flags: ffi::METH_VARARGS,
    ml_doc: c"emit(level, logger, file, line, message): one record, to Rust".as_ptr(),
});

/// `emit`, as a function object of this interpreter.
pub(super) fn function(gil: Gil<'_>) -> Result<Object<'_>, Object<'_>> {
    // SAFETY: under the GIL; `EMIT` lives for the whole process and CPython only reads
    // it (the `*mut` is the C API's signature); a new reference or null.
    unsafe {
        gil.own(ffi::PyCFunction_NewEx(
            std::ptr::addr_of!(EMIT.0).cast_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        ))
    }
}

/// `emit(level, logger, file, line, message)`, called by `_pime_interpreter`'s log
/// handler on whichever thread of the interpreter logs. Arguments of other types drop
/// the record; it never raises, and a panic of the Rust logger stops here.
unsafe extern "C" fn emit(
    _module: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls a function with its interpreter current and that GIL held,
    // `args` being a tuple alive for the call.
    let gil = unsafe { Gil::assume() };
    // SAFETY: as above; `args` is a valid object of this interpreter.
    let args = unsafe { gil.borrow(args) };
    let text = |i| args.tuple_item(i).and_then(|item| item.to_text());
    let number = |i| {
        args.tuple_item(i).and_then(|item| {
            // SAFETY: under the GIL; the type is checked first; an overflow's error is
            // cleared.
            unsafe {
                if ffi::PyLong_Check(item.as_ptr()) == 0 {
                    return None;
                }
                let n = ffi::PyLong_AsLong(item.as_ptr());
                ffi::PyErr_Clear();
                u32::try_from(n).ok()
            }
        })
    };
    if let (Some(level), Some(logger), Some(file), Some(line), Some(message)) =
        (number(0), text(1), text(2), number(3), text(4))
    {
        let record = Record {
            level,
            logger: &logger,
            file: &file,
            line,
            message: &message,
        };
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| log_record::record(&record)));
    }
    gil.none().into_raw()
}
