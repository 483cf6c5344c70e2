//! Objects of a subinterpreter, through raw `pyo3::ffi` only (see `ARCHITECTURE.md`,
//! "Subinterpreters, soundly").
//!
//! PyO3's safe API assumes one interpreter per process: its `Py<T>` drops go to one
//! process-wide pool applied under whichever GIL attaches next, and `intern!`,
//! `PyOnceLock` statics and `#[pyclass]` type objects are shared by every interpreter.
//! So a subinterpreter worker never uses it. It holds its objects as [`Object`]s, which
//! exist only inside [`Gil`]'s lifetime — the span during which the worker's own
//! interpreter is current on this thread with its GIL held — and cannot leave the
//! thread (a `Gil` is neither `Send` nor `Sync`, and neither is anything holding one).

use std::ffi::CStr;
use std::marker::PhantomData;
use std::ptr::NonNull;

use pyo3::ffi;

/// Proof that the worker's subinterpreter is current on this thread and its GIL held,
/// for `'i`. Made only by `Interpreter::enter`.
#[derive(Clone, Copy)]
pub(super) struct Gil<'i>(PhantomData<*mut &'i ()>);

impl<'i> Gil<'i> {
    /// # Safety
    /// The subinterpreter the objects of `'i` belong to must be current on this thread,
    /// with its GIL held, for all of `'i`.
    pub(super) unsafe fn assume() -> Self {
        Gil(PhantomData)
    }

    /// Runs `wait` with the GIL released (`PyEval_SaveThread`), then takes it back.
    /// `wait` is `Send`, so it can touch no [`Object`].
    pub(super) fn released<R: Send>(self, wait: impl FnOnce() -> R + Send) -> R {
        // SAFETY: this thread's current thread state is the worker's (`Gil`'s
        // promise); it is detached for `wait` and attached again after.
        let state = unsafe { ffi::PyEval_SaveThread() };
        let outcome = wait();
        // SAFETY: `state` is the thread state detached above, on this same thread.
        unsafe { ffi::PyEval_RestoreThread(state) };
        outcome
    }

    /// Takes ownership of a new reference `ptr` returned by the C API, or, when it is
    /// null, of the exception the call raised.
    ///
    /// # Safety
    /// `ptr` is a new reference to an object of this interpreter, or null with an
    /// exception set.
    pub(super) unsafe fn own(self, ptr: *mut ffi::PyObject) -> Result<Object<'i>, Object<'i>> {
        match NonNull::new(ptr) {
            Some(ptr) => Ok(Object { ptr, _gil: self }),
            None => Err(self.fetch()),
        }
    }

    /// A new strong reference to `ptr`.
    ///
    /// # Safety
    /// `ptr` is a valid (borrowed) reference to an object of this interpreter.
    pub(super) unsafe fn borrow(self, ptr: *mut ffi::PyObject) -> Object<'i> {
        // SAFETY: the caller's promise.
        unsafe {
            ffi::Py_IncRef(ptr);
            Object {
                ptr: NonNull::new_unchecked(ptr),
                _gil: self,
            }
        }
    }

    /// The exception raised (and cleared); a `SystemError` if none was.
    pub(super) fn fetch(self) -> Object<'i> {
        // SAFETY: under this interpreter's GIL (`Gil`). With an exception set (one is
        // raised first if none is: `PyExc_SystemError` is a static type of every
        // interpreter), `PyErr_GetRaisedException` returns it as a new reference.
        unsafe {
            if ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_SetString(
                    ffi::PyExc_SystemError,
                    c"a Python C API call failed without an exception".as_ptr(),
                );
            }
            Object {
                ptr: NonNull::new_unchecked(ffi::PyErr_GetRaisedException()),
                _gil: self,
            }
        }
    }

    /// `import name`.
    pub(super) fn import(self, name: &CStr) -> Result<Object<'i>, Object<'i>> {
        // SAFETY: under the GIL; a new reference or null with an exception.
        unsafe { self.own(ffi::PyImport_ImportModule(name.as_ptr())) }
    }

    /// A new `str`.
    pub(super) fn str(self, text: &str) -> Result<Object<'i>, Object<'i>> {
        // SAFETY: under the GIL; `text` is valid UTF-8 of that length.
        unsafe {
            self.own(ffi::PyUnicode_FromStringAndSize(
                text.as_ptr().cast(),
                text.len() as ffi::Py_ssize_t,
            ))
        }
    }

    /// `None` (immortal, shared by every interpreter from 3.12).
    pub(super) fn none(self) -> Object<'i> {
        // SAFETY: `Py_None` is a valid object in every interpreter.
        unsafe { self.borrow(ffi::Py_None()) }
    }
}

/// A strong reference to an object of the worker's subinterpreter, released with
/// `Py_DecRef` under that interpreter's GIL (it cannot outlive [`Gil`]).
pub(super) struct Object<'i> {
    ptr: NonNull<ffi::PyObject>,
    _gil: Gil<'i>,
}

impl<'i> Object<'i> {
    pub(super) fn as_ptr(&self) -> *mut ffi::PyObject {
        self.ptr.as_ptr()
    }

    pub(super) fn gil(&self) -> Gil<'i> {
        self._gil
    }

    /// `self(*args)`.
    pub(super) fn call(&self, args: &[&Object<'i>]) -> Result<Object<'i>, Object<'i>> {
        let mut pointers: Vec<*mut ffi::PyObject> = args.iter().map(|a| a.as_ptr()).collect();
        // SAFETY: under the GIL; every pointer is a live object of this interpreter,
        // borrowed for the call.
        unsafe {
            self.gil().own(ffi::PyObject_Vectorcall(
                self.as_ptr(),
                pointers.as_mut_ptr(),
                pointers.len(),
                std::ptr::null_mut(),
            ))
        }
    }

    /// `self.name`.
    pub(super) fn getattr(&self, name: &CStr) -> Result<Object<'i>, Object<'i>> {
        // SAFETY: under the GIL; a new reference or null with an exception.
        unsafe {
            self.gil()
                .own(ffi::PyObject_GetAttrString(self.as_ptr(), name.as_ptr()))
        }
    }

    /// Gives the reference up to the C API (a function's return value).
    pub(super) fn into_raw(self) -> *mut ffi::PyObject {
        let ptr = self.as_ptr();
        std::mem::forget(self);
        ptr
    }

    pub(super) fn is_none(&self) -> bool {
        // SAFETY: a pointer compare with the immortal `None`.
        unsafe { ffi::Py_IsNone(self.as_ptr()) != 0 }
    }

    /// The text of a `str`, or `None` for anything else (or a `str` with a lone
    /// surrogate; its error is cleared).
    pub(super) fn to_text(&self) -> Option<String> {
        let mut size: ffi::Py_ssize_t = 0;
        // SAFETY: under the GIL; the type is checked first, and the UTF-8 buffer is
        // owned by the `str`, alive while `self` is, copied at once.
        unsafe {
            if ffi::PyUnicode_Check(self.as_ptr()) == 0 {
                return None;
            }
            let data = ffi::PyUnicode_AsUTF8AndSize(self.as_ptr(), &mut size);
            if data.is_null() {
                ffi::PyErr_Clear();
                return None;
            }
            let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
            // CPython's UTF-8 form is always valid UTF-8.
            std::str::from_utf8(bytes).ok().map(str::to_owned)
        }
    }

    /// Item `index` of a tuple, or `None` when `self` is no tuple that long.
    pub(super) fn tuple_item(&self, index: usize) -> Option<Object<'i>> {
        // SAFETY: under the GIL; the type and the size are checked first; the item is
        // borrowed from the (immutable) tuple and a reference taken at once.
        unsafe {
            if ffi::PyTuple_Check(self.as_ptr()) == 0
                || ffi::PyTuple_Size(self.as_ptr()) <= index as ffi::Py_ssize_t
            {
                return None;
            }
            let item = ffi::PyTuple_GetItem(self.as_ptr(), index as ffi::Py_ssize_t);
            Some(self.gil().borrow(item))
        }
    }
}

impl Drop for Object<'_> {
    fn drop(&mut self) {
        // SAFETY: the object is this interpreter's and its GIL is held (`Gil`).
        unsafe { ffi::Py_DecRef(self.as_ptr()) }
    }
}
