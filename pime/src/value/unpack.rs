//! Python -> Rust: results and stream items into `Value`s.
//!
//! The plain types of the value table (None, bool, int, float, str, bytes, list, tuple,
//! dict) are tried first, each a type check; only an object none of them takes goes on
//! to `library` (numpy, dataclasses, `Enum`, `datetime`, ..., registered converters).

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use serde_value::Value;

use super::failure::{key_label, type_name, Failure, Segment};
use super::library::{self, Library};
use super::MAX_DEPTH;
use crate::error::{Error, ErrorKind};

/// Converts a broker's result: `None` at the top is `Ok(None)`, anything else is
/// converted per the README's value table or gives an `UnpackError` naming the place and the type.
pub(crate) fn result_from_python(object: &Bound<'_, PyAny>) -> Result<Option<Value>, Error> {
    if object.is_none() {
        return Ok(None);
    }
    from_python(object, "result").map(Some)
}

/// [`result_from_python`] for the result of `command`: an error names the command too
/// (`hello: result[3]: cannot convert ...`). The command's text is only made on failure.
pub(crate) fn result_from_python_for(
    object: &Bound<'_, PyAny>,
    command: &Bound<'_, PyAny>,
) -> Result<Option<Value>, Error> {
    result_from_python(object).map_err(|mut error| {
        error.message = format!("{}: {}", command_label(command), error.message);
        error
    })
}

/// A command as error messages show it: its text (a `str`), or its `repr`; at most 100
/// characters.
fn command_label(command: &Bound<'_, PyAny>) -> String {
    let text = match command.cast::<PyString>() {
        Ok(s) => s.to_string_lossy().into_owned(),
        Err(_) => command
            .repr()
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| format!("<{}>", type_name(command))),
    };
    shortened_label(text)
}

/// A command's text for error messages, cut at 100 characters (with `…`).
pub(crate) fn shortened_label(text: String) -> String {
    const MAX_CHARS: usize = 100;
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    text.chars().take(MAX_CHARS).chain(['…']).collect()
}

/// Converts any Python object per the README's value table; `root` names it in error messages.
pub(crate) fn from_python(object: &Bound<'_, PyAny>, root: &str) -> Result<Value, Error> {
    let mut open_containers = Vec::new();
    unpack(object, &mut open_containers).map_err(|f| f.into_error(ErrorKind::UnpackError, root))
}

/// `open_containers` holds the containers on the path from the root to `object`:
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
        // A `NamedTuple` is a map of its fields; a plain tuple costs one pointer compare.
        if !tuple.is_exact_instance_of::<PyTuple>() {
            if let Some(fields) = library::namedtuple_fields(tuple) {
                return in_container(object, open_containers, |open| {
                    unpack_fields(fields.into_iter().zip(tuple.iter()), open)
                });
            }
        }
        return in_container(object, open_containers, |open| {
            unpack_items(tuple.iter(), open)
        });
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        return in_container(object, open_containers, |open| {
            unpack_entries(dict.iter().map(Ok), |object| unpack(object, open))
        });
    }
    unpack_library(object, open_containers)
}

/// A dict's `entries` as a `Map`, each key and item converted by `unpack`: a failure
/// names its place (`<key>`, or the key), and keys that are one `Value` once converted
/// are an error, nothing merged. Used by the subinterpreter workers' converter too.
pub(crate) fn unpack_entries<T>(
    entries: impl IntoIterator<Item = Result<(T, T), Failure>>,
    mut unpack: impl FnMut(&T) -> Result<Value, Failure>,
) -> Result<Value, Failure> {
    let mut map = BTreeMap::new();
    for entry in entries {
        let (key, item) = entry?;
        let key = unpack(&key).map_err(|f| f.at(Segment::Key("<key>".into())))?;
        // The key's label is only made for an error: one per entry cost a payload of
        // many small dicts several percent.
        let item = unpack(&item).map_err(|f| f.at(Segment::Key(key_label(&key))))?;
        // Distinct keys in Python can be one `Value` (two nans, `b"a"` and
        // `memoryview(b"a")`, an `Enum` member and its value).
        match map.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(item);
            }
            Entry::Occupied(slot) => {
                let label = key_label(slot.key());
                return Err(Failure::new(format!(
                    "the key {label} equals another key of this dict once converted \
                     (two nan keys, bytes and a memoryview of the same bytes, or an Enum \
                     member and its value); nothing was merged"
                ))
                .at(Segment::Key(label)));
            }
        }
    }
    Ok(Value::Map(map))
}

/// What the plain types did not take: what libraries return, or a registered converter.
#[cold]
fn unpack_library(
    object: &Bound<'_, PyAny>,
    open_containers: &mut Vec<usize>,
) -> Result<Value, Failure> {
    match library::classify(object)? {
        Library::Leaf(value) => Ok(value),
        Library::Int(n) => unpack_int(&n),
        Library::Replaced(replacement) => {
            in_container(object, open_containers, |open| unpack(&replacement, open))
        }
        Library::Fields(fields) => in_container(object, open_containers, |open| {
            unpack_fields(fields.into_iter(), open)
        }),
        Library::Items(items) => in_container(object, open_containers, |open| {
            unpack_items(items.iter(), open)
        }),
    }
}

/// The items of a list, tuple or set, as a `Seq`.
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

/// The fields of a dataclass or `NamedTuple`, as a `Map` with `String` keys.
fn unpack_fields<'py>(
    fields: impl Iterator<Item = (String, Bound<'py, PyAny>)>,
    open_containers: &mut Vec<usize>,
) -> Result<Value, Failure> {
    let mut map = BTreeMap::new();
    for (name, item) in fields {
        let key = Value::String(name);
        let item =
            unpack(&item, open_containers).map_err(|f| f.at(Segment::Key(key_label(&key))))?;
        map.insert(key, item);
    }
    Ok(Value::Map(map))
}

/// Runs `convert` with `container` on the open path, refusing cycles and deep nesting.
fn in_container(
    container: &Bound<'_, PyAny>,
    open_containers: &mut Vec<usize>,
    convert: impl FnOnce(&mut Vec<usize>) -> Result<Value, Failure>,
) -> Result<Value, Failure> {
    within_container(
        open_containers,
        container.as_ptr() as usize,
        || type_name(container),
        convert,
    )
}

/// Runs `convert` with the container at `address` on the open path
/// (`open_containers`, the addresses from the root down), refusing one already open
/// (a cycle; `type_name` names it) and nesting deeper than [`MAX_DEPTH`] or than this
/// thread's stack holds. Used by the subinterpreter workers' converter too.
pub(crate) fn within_container(
    open_containers: &mut Vec<usize>,
    address: usize,
    type_name: impl FnOnce() -> String,
    convert: impl FnOnce(&mut Vec<usize>) -> Result<Value, Failure>,
) -> Result<Value, Failure> {
    if open_containers.contains(&address) {
        return Err(Failure::new(format!(
            "cyclic reference: this {} contains itself",
            type_name()
        )));
    }
    if open_containers.len() >= MAX_DEPTH {
        return Err(Failure::too_deep());
    }
    if !crate::stack::enough_left() {
        return Err(Failure::no_stack_left());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn eval<'py>(py: Python<'py>, code: &std::ffi::CStr) -> Bound<'py, PyAny> {
        py.eval(code, None, None).expect("valid Python")
    }

    #[test]
    fn errors_name_the_command_the_place_and_a_fix() {
        Python::attach(|py| {
            let hello = PyString::new(py, "hello");
            let result = eval(py, c"[1, {'when': complex(1, 2)}]");
            let error = result_from_python_for(&result, &hello).unwrap_err();
            assert_eq!(error.kind, ErrorKind::UnpackError);
            assert_eq!(
                error.message,
                "hello: result[1][\"when\"]: cannot convert complex (convert it in the broker, \
                 or register a converter: pime.register_converter(complex, fn))"
            );
            // A command that is not a str is its repr, cut at 100 characters.
            let long = eval(py, c"['x' * 300]");
            let error = result_from_python_for(&eval(py, c"range(1)"), &long).unwrap_err();
            assert!(error.message.starts_with("['xxx"), "{}", error.message);
            assert!(error.message.contains("…: result: cannot convert range"));
            // Converted results are as from `result_from_python`.
            assert_eq!(
                result_from_python_for(&eval(py, c"frozenset({2, 1})"), &hello),
                Ok(Some(Value::Seq(vec![Value::I64(1), Value::I64(2)])))
            );
            assert_eq!(
                result_from_python_for(&py.None().into_bound(py), &hello),
                Ok(None)
            );
        });
    }
}
