//! Conversion between `serde_value::Value` and Python objects (the README's value table), both ways,
//! in one pass.
//!
//! Written by hand because `pythonize` 0.29 is pinned to PyO3 0.29 and goes through
//! serde's data model; this converter writes Python objects straight from `Value` and
//! back, bounds recursion, detects cycles and names the failing place in the value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
    PyTypeMethods,
};
use pyo3::IntoPyObjectExt;
use serde_value::Value;

use crate::error::{Error, ErrorKind};

/// The deepest nesting of lists and dicts that crosses the boundary, either way.
/// Deeper values are an error, so conversion never overflows the stack.
pub const MAX_DEPTH: usize = 200;

/// One step into a nested value, kept to name the failing place in error messages.
enum Segment {
    Index(usize),
    Key(String),
}

/// A conversion failure: the reason, and the path to where it happened (innermost first,
/// because segments are pushed while unwinding).
struct Failure {
    reason: String,
    path: Vec<Segment>,
}

impl Failure {
    fn new(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            path: Vec::new(),
        }
    }

    fn at(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }

    /// `root[3]["when"]: reason`.
    fn into_error(self, kind: ErrorKind, root: &str) -> Error {
        let mut message = root.to_string();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Index(i) => write!(message, "[{i}]"),
                Segment::Key(k) => write!(message, "[{k}]"),
            }
            .expect("writing to a String cannot fail");
        }
        message.push_str(": ");
        message.push_str(&self.reason);
        Error::new(kind, message)
    }
}

/// A short rendering of a dict key for error paths: `"name"` for strings, the value otherwise.
fn key_label(key: &Value) -> String {
    match key {
        Value::String(s) if s.len() <= 40 => format!("{s:?}"),
        Value::String(s) => format!("{:?}…", s.chars().take(40).collect::<String>()),
        other => format!("{other:?}").chars().take(40).collect(),
    }
}

// ---------------------------------------------------------------- Rust -> Python

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

/// The depth inside one more list or dict, or the error past [`MAX_DEPTH`].
fn enter_container(depth: usize) -> Result<usize, Failure> {
    if depth >= MAX_DEPTH {
        return Err(Failure::new(format!(
            "nesting deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(depth + 1)
}

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

fn int<'py, T: IntoPyObjectExt<'py>>(py: Python<'py>, n: T) -> Result<Bound<'py, PyAny>, Failure> {
    n.into_bound_py_any(py)
        .map_err(|e| Failure::new(e.to_string()))
}

// ---------------------------------------------------------------- Python -> Rust

/// Converts a broker's result: `None` at the top is `Ok(None)`, anything else is
/// converted per the README's value table or gives an `UnpackError` naming the place and the type.
pub(crate) fn result_from_python(object: &Bound<'_, PyAny>) -> Result<Option<Value>, Error> {
    if object.is_none() {
        return Ok(None);
    }
    from_python(object, "result").map(Some)
}

/// Converts any Python object per the README's value table; `root` names it in error messages.
pub(crate) fn from_python(object: &Bound<'_, PyAny>, root: &str) -> Result<Value, Error> {
    let mut open_containers = Vec::new();
    unpack(object, &mut open_containers).map_err(|f| f.into_error(ErrorKind::UnpackError, root))
}

/// `open_containers` holds the lists and dicts on the path from the root to `object`:
/// meeting one again means the value contains itself.
fn unpack(object: &Bound<'_, PyAny>, open_containers: &mut Vec<usize>) -> Result<Value, Failure> {
    if object.is_none() {
        return Ok(Value::Unit);
    }
    // `bool` before `int`: in Python a bool is an int.
    if let Ok(b) = object.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(n) = object.cast::<PyInt>() {
        return unpack_int(n);
    }
    if let Ok(x) = object.cast::<PyFloat>() {
        return Ok(Value::F64(x.value()));
    }
    if let Ok(s) = object.cast::<PyString>() {
        return s
            .to_str()
            .map(|s| Value::String(s.to_owned()))
            .map_err(|_| Failure::new("str is not valid Unicode (it holds a lone surrogate)"));
    }
    if let Ok(b) = object.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = object.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    if object.cast::<PyMemoryView>().is_ok() {
        let bytes = object
            .call_method0("tobytes")
            .map_err(|e| Failure::new(format!("cannot read memoryview: {e}")))?;
        let bytes = bytes
            .cast::<PyBytes>()
            .map_err(|_| Failure::new("memoryview.tobytes() did not return bytes"))?;
        return Ok(Value::Bytes(bytes.as_bytes().to_vec()));
    }
    if let Ok(list) = object.cast::<PyList>() {
        return in_container(object, open_containers, |open| {
            unpack_items(list.iter(), open)
        });
    }
    if let Ok(tuple) = object.cast::<PyTuple>() {
        return in_container(object, open_containers, |open| {
            unpack_items(tuple.iter(), open)
        });
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        return in_container(object, open_containers, |open| {
            let mut map = BTreeMap::new();
            for (key, item) in dict.iter() {
                let key = unpack(&key, open).map_err(|f| f.at(Segment::Key("<key>".into())))?;
                let label = key_label(&key);
                let item = unpack(&item, open).map_err(|f| f.at(Segment::Key(label.clone())))?;
                // Distinct keys in Python can be one `Value` (two nans, `b"a"` and
                // `memoryview(b"a")`).
                if map.insert(key, item).is_some() {
                    return Err(Failure::new(format!(
                        "the key {label} equals another key of this dict once converted \
                         (two nan keys, or bytes and a memoryview of the same bytes); nothing was merged"
                    ))
                    .at(Segment::Key(label)));
                }
            }
            Ok(Value::Map(map))
        });
    }
    Err(Failure::new(format!(
        "cannot convert {}",
        type_name(object)
    )))
}

/// The items of a list or tuple, as a `Seq`.
fn unpack_items<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    open_containers: &mut Vec<usize>,
) -> Result<Value, Failure> {
    items
        .enumerate()
        .map(|(i, item)| unpack(&item, open_containers).map_err(|f| f.at(Segment::Index(i))))
        .collect::<Result<_, _>>()
        .map(Value::Seq)
}

/// Runs `convert` with `container` on the open path, refusing cycles and deep nesting.
fn in_container(
    container: &Bound<'_, PyAny>,
    open_containers: &mut Vec<usize>,
    convert: impl FnOnce(&mut Vec<usize>) -> Result<Value, Failure>,
) -> Result<Value, Failure> {
    let address = container.as_ptr() as usize;
    if open_containers.contains(&address) {
        return Err(Failure::new(format!(
            "cyclic reference: this {} contains itself",
            type_name(container)
        )));
    }
    if open_containers.len() >= MAX_DEPTH {
        return Err(Failure::new(format!(
            "nesting deeper than {MAX_DEPTH} levels"
        )));
    }
    open_containers.push(address);
    let converted = convert(open_containers);
    open_containers.pop();
    converted
}

fn unpack_int(n: &Bound<'_, PyInt>) -> Result<Value, Failure> {
    if let Ok(v) = n.extract::<i64>() {
        return Ok(Value::I64(v));
    }
    if let Ok(v) = n.extract::<u64>() {
        return Ok(Value::U64(v));
    }
    let bits = n
        .call_method0("bit_length")
        .and_then(|b| b.extract::<u64>())
        .unwrap_or(0);
    Err(Failure::new(format!(
        "int of {bits} bits does not fit in i64 or u64"
    )))
}

/// `datetime.datetime`, or `set` for builtins.
pub(crate) fn type_name(object: &Bound<'_, PyAny>) -> String {
    object
        .get_type()
        .fully_qualified_name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "<unnamed type>".into())
}
