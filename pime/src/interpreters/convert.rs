//! `Value`s into and out of a subinterpreter, with the README's value table and the
//! same errors as `value/` (which does it for the main interpreter through PyO3).
//!
//! The plain types are converted here with raw C API calls; anything else goes to
//! `_pime_interpreter.plain`, which says how what libraries return converts (the same
//! rules as `value/library.rs`, in the worker's own interpreter).

use std::collections::BTreeMap;

use pyo3::ffi;
use serde_value::Value;

use super::object::{Gil, Object};
use crate::error::{Error, ErrorKind};
use crate::value::{key_label, unpack_entries, within_container, Failure, Segment, MAX_DEPTH};

/// What `_pime_interpreter.plain` answers: how an object converts.
const LEAF: i64 = 0;
const REPLACED: i64 = 1;
const FIELDS: i64 = 2;
const ITEMS: i64 = 3;

/// Converts `value`; `root` names it in error messages ("command").
pub(super) fn to_python<'i>(gil: Gil<'i>, value: &Value, root: &str) -> Result<Object<'i>, Error> {
    pack(gil, value, 0).map_err(|f| f.into_error(ErrorKind::PackError, root))
}

/// Converts a params (or context) map to a `dict` with `str` keys.
pub(super) fn map_to_python<'i>(
    gil: Gil<'i>,
    map: &BTreeMap<String, Value>,
    root: &str,
) -> Result<Object<'i>, Error> {
    let failed = |f: Failure| f.into_error(ErrorKind::PackError, root);
    let dict = new_dict(gil).map_err(failed)?;
    for (key, value) in map {
        let at_key = |f: Failure| failed(f.at(Segment::Key(format!("{key:?}"))));
        let key = gil.str(key).map_err(|e| at_key(raised(&e)))?;
        let item = pack(gil, value, 0).map_err(at_key)?;
        set_item(&dict, &key, &item).map_err(at_key)?;
    }
    Ok(dict)
}

fn pack<'i>(gil: Gil<'i>, value: &Value, depth: usize) -> Result<Object<'i>, Failure> {
    let mut value = value;
    while let Value::Option(Some(inner)) | Value::Newtype(inner) = value {
        value = inner;
    }
    // SAFETY: every C call below runs under the worker's GIL (`gil`) and returns a new
    // reference or null with an exception set, which `own` takes.
    let made = unsafe {
        match value {
            Value::Unit | Value::Option(None) => return Ok(gil.none()),
            Value::Option(Some(_)) | Value::Newtype(_) => unreachable!("unwrapped above"),
            Value::Bool(b) => gil.own(ffi::PyBool_FromLong(i64::from(*b) as _)),
            Value::I8(n) => gil.own(ffi::PyLong_FromLongLong(i64::from(*n))),
            Value::I16(n) => gil.own(ffi::PyLong_FromLongLong(i64::from(*n))),
            Value::I32(n) => gil.own(ffi::PyLong_FromLongLong(i64::from(*n))),
            Value::I64(n) => gil.own(ffi::PyLong_FromLongLong(*n)),
            Value::U8(n) => gil.own(ffi::PyLong_FromUnsignedLongLong(u64::from(*n))),
            Value::U16(n) => gil.own(ffi::PyLong_FromUnsignedLongLong(u64::from(*n))),
            Value::U32(n) => gil.own(ffi::PyLong_FromUnsignedLongLong(u64::from(*n))),
            Value::U64(n) => gil.own(ffi::PyLong_FromUnsignedLongLong(*n)),
            Value::F32(x) => gil.own(ffi::PyFloat_FromDouble(f64::from(*x))),
            Value::F64(x) => gil.own(ffi::PyFloat_FromDouble(*x)),
            Value::Char(c) => gil.str(c.encode_utf8(&mut [0; 4])),
            Value::String(s) => gil.str(s),
            Value::Bytes(b) => gil.own(ffi::PyBytes_FromStringAndSize(
                b.as_ptr().cast(),
                b.len() as ffi::Py_ssize_t,
            )),
            Value::Seq(items) => return pack_list(gil, items, enter_container(depth)?),
            Value::Map(map) => return pack_dict(gil, map, enter_container(depth)?),
        }
    };
    made.map_err(|e| raised(&e))
}

fn pack_list<'i>(gil: Gil<'i>, items: &[Value], depth: usize) -> Result<Object<'i>, Failure> {
    // SAFETY: under the GIL; a new list or null with an exception.
    let list = unsafe { gil.own(ffi::PyList_New(0)) }.map_err(|e| raised(&e))?;
    for (i, item) in items.iter().enumerate() {
        let item = pack(gil, item, depth).map_err(|f| f.at(Segment::Index(i)))?;
        // SAFETY: under the GIL; both are live objects; `PyList_Append` takes its own
        // reference to the item.
        if unsafe { ffi::PyList_Append(list.as_ptr(), item.as_ptr()) } != 0 {
            return Err(raised(&gil.fetch()));
        }
    }
    Ok(list)
}

fn pack_dict<'i>(
    gil: Gil<'i>,
    map: &BTreeMap<Value, Value>,
    depth: usize,
) -> Result<Object<'i>, Failure> {
    let dict = new_dict(gil)?;
    for (inserted, (key, item)) in map.iter().enumerate() {
        let label = || Segment::Key(key_label(key));
        let py_key = pack(gil, key, depth).map_err(|f| f.at(label()))?;
        let py_item = pack(gil, item, depth).map_err(|f| f.at(label()))?;
        set_item(&dict, &py_key, &py_item).map_err(|_| {
            Failure::new(format!("a dict key cannot be a {}", type_name(&py_key))).at(label())
        })?;
        // SAFETY: under the GIL; `dict` is a dict.
        if unsafe { ffi::PyDict_Size(dict.as_ptr()) } != inserted as ffi::Py_ssize_t + 1 {
            return Err(Failure::new(format!(
                "the key {} equals another key of this map in Python (1, True and 1.0 \
                 are one dict key there); nothing was merged",
                key_label(key)
            ))
            .at(label()));
        }
    }
    Ok(dict)
}

fn new_dict(gil: Gil<'_>) -> Result<Object<'_>, Failure> {
    // SAFETY: under the GIL; a new dict or null with an exception.
    unsafe { gil.own(ffi::PyDict_New()) }.map_err(|e| raised(&e))
}

fn set_item<'i>(dict: &Object<'i>, key: &Object<'i>, item: &Object<'i>) -> Result<(), Failure> {
    // SAFETY: under the GIL; all three are live objects; the dict takes its own references.
    if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), item.as_ptr()) } != 0 {
        return Err(raised(&dict.gil().fetch()));
    }
    Ok(())
}

/// The depth inside one more list or dict, or the error past [`MAX_DEPTH`].
fn enter_container(depth: usize) -> Result<usize, Failure> {
    if depth >= MAX_DEPTH {
        return Err(Failure::too_deep());
    }
    Ok(depth + 1)
}

/// Python -> Rust, with `plain` (`_pime_interpreter.plain`) for what the table's
/// plain types do not take. `open` (each method's) holds the containers on the path from
/// the root to the object being converted: meeting one again means the value contains
/// itself.
pub(super) struct Unpacker<'a, 'i> {
    plain: &'a Object<'i>,
}

type Open = Vec<usize>;

impl<'a, 'i> Unpacker<'a, 'i> {
    pub(super) fn new(plain: &'a Object<'i>) -> Self {
        Unpacker { plain }
    }

    /// Converts `object`; `root` names it in error messages ("result", "item[3]").
    pub(super) fn value(&self, object: &Object<'i>, root: &str) -> Result<Value, Error> {
        self.unpack(object, &mut Open::new())
            .map_err(|f| f.into_error(ErrorKind::UnpackError, root))
    }

    fn unpack(&self, object: &Object<'i>, open: &mut Open) -> Result<Value, Failure> {
        let ptr = object.as_ptr();
        // SAFETY: the type checks and reads below run under the GIL on a live object,
        // and every read is of the type just checked.
        unsafe {
            if object.is_none() {
                return Ok(Value::Unit);
            }
            // `bool` before `int`: in Python a bool is an int.
            if ffi::PyBool_Check(ptr) != 0 {
                return Ok(Value::Bool(ptr == ffi::Py_True()));
            }
            if ffi::PyLong_Check(ptr) != 0 {
                return unpack_int(object);
            }
            if ffi::PyFloat_Check(ptr) != 0 {
                return Ok(Value::F64(ffi::PyFloat_AsDouble(ptr)));
            }
            if ffi::PyUnicode_Check(ptr) != 0 {
                return object.to_text().map(Value::String).ok_or_else(|| {
                    Failure::new("str is not valid Unicode (it holds a lone surrogate)")
                });
            }
            if ffi::PyBytes_Check(ptr) != 0 {
                let data = ffi::PyBytes_AsString(ptr).cast::<u8>();
                let size = ffi::PyBytes_Size(ptr) as usize;
                return Ok(Value::Bytes(
                    std::slice::from_raw_parts(data, size).to_vec(),
                ));
            }
            if ffi::PyByteArray_Check(ptr) != 0 {
                let data = ffi::PyByteArray_AsString(ptr).cast::<u8>();
                let size = ffi::PyByteArray_Size(ptr) as usize;
                return Ok(Value::Bytes(
                    std::slice::from_raw_parts(data, size).to_vec(),
                ));
            }
            if ffi::PyList_Check(ptr) != 0 {
                return self.in_container(object, open, |open| self.items(object, open));
            }
            // A tuple subclass may be a `NamedTuple`: `plain` says.
            if ffi::PyTuple_CheckExact(ptr) != 0 {
                return self.in_container(object, open, |open| self.items(object, open));
            }
            if ffi::PyDict_Check(ptr) != 0 {
                return self.in_container(object, open, |open| self.dict(object, open));
            }
        }
        self.library(object, open)
    }

    /// What the plain types did not take, as `_pime_interpreter.plain` says.
    #[cold]
    fn library(&self, object: &Object<'i>, open: &mut Open) -> Result<Value, Failure> {
        let answer = self
            .plain
            .call(&[object])
            .map_err(|e| Failure::new(message_of(&e)))?;
        let (Some(kind), Some(replacement)) = (answer.tuple_item(0), answer.tuple_item(1)) else {
            return Err(Failure::new("_pime_interpreter.plain answered no pair"));
        };
        // SAFETY: under the GIL; `kind` is checked to be an int first.
        let kind = unsafe {
            if ffi::PyLong_Check(kind.as_ptr()) == 0 {
                -1
            } else {
                ffi::PyLong_AsLongLong(kind.as_ptr())
            }
        };
        match kind {
            LEAF => self.unpack(&replacement, open),
            REPLACED => self.in_container(object, open, |open| self.unpack(&replacement, open)),
            FIELDS => self.in_container(object, open, |open| self.dict(&replacement, open)),
            ITEMS => self.in_container(object, open, |open| self.items(&replacement, open)),
            _ => Err(Failure::new(
                "_pime_interpreter.plain answered an unknown kind",
            )),
        }
    }

    /// The items of a list or tuple, as a `Seq`. A list is read item by item, each
    /// referenced at once: converting an item may run Python code that changes it.
    fn items(&self, sequence: &Object<'i>, open: &mut Open) -> Result<Value, Failure> {
        let gil = sequence.gil();
        let ptr = sequence.as_ptr();
        let mut items = Vec::new();
        let mut i = 0;
        loop {
            // SAFETY: under the GIL; the size is read again before each item, and the
            // borrowed item is referenced before any other call.
            let item = unsafe {
                let size = if ffi::PyList_Check(ptr) != 0 {
                    ffi::PyList_Size(ptr)
                } else {
                    ffi::PyTuple_Size(ptr)
                };
                if i as ffi::Py_ssize_t >= size {
                    break;
                }
                let borrowed = if ffi::PyList_Check(ptr) != 0 {
                    ffi::PyList_GetItem(ptr, i as ffi::Py_ssize_t)
                } else {
                    ffi::PyTuple_GetItem(ptr, i as ffi::Py_ssize_t)
                };
                gil.borrow(borrowed)
            };
            items.push(
                self.unpack(&item, open)
                    .map_err(|f| f.at(Segment::Index(i)))?,
            );
            i += 1;
        }
        Ok(Value::Seq(items))
    }

    /// A dict, as a `Map`: read from a snapshot of its items, which converting an item
    /// (Python code) cannot change under the loop.
    fn dict(&self, dict: &Object<'i>, open: &mut Open) -> Result<Value, Failure> {
        let gil = dict.gil();
        // SAFETY: under the GIL; `dict` is a dict (checked by the callers: the fast
        // path, or `plain`'s FIELDS, a dict it made).
        let items = unsafe {
            if ffi::PyDict_Check(dict.as_ptr()) == 0 {
                return Err(Failure::new("_pime_interpreter.plain answered no dict"));
            }
            gil.own(ffi::PyDict_Items(dict.as_ptr()))
        }
        .map_err(|e| raised(&e))?;
        // SAFETY: under the GIL; `PyDict_Items` made a new list of 2-tuples.
        let count = unsafe { ffi::PyList_Size(items.as_ptr()) };
        let entries = (0..count).map(|i| {
            // SAFETY: as above; `i` is in range, and the pair is referenced at once.
            let pair = unsafe { gil.borrow(ffi::PyList_GetItem(items.as_ptr(), i)) };
            match (pair.tuple_item(0), pair.tuple_item(1)) {
                (Some(key), Some(item)) => Ok((key, item)),
                _ => Err(Failure::new("dict.items() gave no pair")),
            }
        });
        unpack_entries(entries, |object| self.unpack(object, open))
    }

    /// Runs `convert` with `container` on the open path, refusing cycles and deep nesting.
    fn in_container(
        &self,
        container: &Object<'i>,
        open: &mut Open,
        convert: impl FnOnce(&mut Open) -> Result<Value, Failure>,
    ) -> Result<Value, Failure> {
        within_container(
            open,
            container.as_ptr() as usize,
            || type_name(container),
            convert,
        )
    }
}

fn unpack_int(n: &Object<'_>) -> Result<Value, Failure> {
    let mut overflow = 0;
    // SAFETY: under the GIL; `n` is an int; a failed conversion's error is cleared.
    unsafe {
        let signed = ffi::PyLong_AsLongLongAndOverflow(n.as_ptr(), &mut overflow);
        if overflow == 0 && (signed != -1 || ffi::PyErr_Occurred().is_null()) {
            return Ok(Value::I64(signed));
        }
        ffi::PyErr_Clear();
        let unsigned = ffi::PyLong_AsUnsignedLongLong(n.as_ptr());
        if unsigned != u64::MAX || ffi::PyErr_Occurred().is_null() {
            return Ok(Value::U64(unsigned));
        }
        ffi::PyErr_Clear();
    }
    let bits = n
        .getattr(c"bit_length")
        .and_then(|bit_length| bit_length.call(&[]))
        .map(|bits| {
            // SAFETY: under the GIL; `bits` is live (an int, or the error is cleared).
            unsafe {
                let bits = ffi::PyLong_AsUnsignedLongLong(bits.as_ptr());
                ffi::PyErr_Clear();
                bits
            }
        })
        .unwrap_or(0);
    Err(Failure::new(format!(
        "int of {bits} bits does not fit in i64 or u64"
    )))
}

/// `datetime.datetime`, or `set` for builtins (the type's `__module__` and
/// `__qualname__`).
pub(super) fn type_name(object: &Object<'_>) -> String {
    // SAFETY: under the GIL; `Py_TYPE` of a live object is a live type.
    let ty = unsafe { object.gil().borrow(ffi::Py_TYPE(object.as_ptr()).cast()) };
    let part = |name: &std::ffi::CStr| ty.getattr(name).ok().and_then(|p| p.to_text());
    match (part(c"__module__"), part(c"__qualname__")) {
        (Some(module), Some(name)) if module == "builtins" => name,
        (Some(module), Some(name)) => format!("{module}.{name}"),
        (None, Some(name)) => name,
        _ => "<unnamed type>".into(),
    }
}

/// A conversion failure for an exception raised on the way (`str()` of it).
fn raised(exception: &Object<'_>) -> Failure {
    Failure::new(message_of(exception))
}

/// `str(exception)`, or its type's name when that fails.
pub(super) fn message_of(exception: &Object<'_>) -> String {
    // SAFETY: under the GIL; a new reference or null with an exception.
    let text = unsafe { exception.gil().own(ffi::PyObject_Str(exception.as_ptr())) };
    match text.ok().and_then(|text| text.to_text()) {
        Some(text) => text,
        None => {
            // SAFETY: clearing whatever `str()` raised.
            unsafe { ffi::PyErr_Clear() };
            format!("<unprintable {} object>", type_name(exception))
        }
    }
}
