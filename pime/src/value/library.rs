//! What Python libraries return, beyond the plain types of the value table: tried only
//! for an object that the fast path in `unpack` did not take, in this order:
//!
//! 1. a converter registered with `pime.register_converter` for the object's type or
//!    one of its base classes (`__mro__`, `object` aside);
//! 2. `set` / `frozenset`: a sequence, sorted when `list.sort()` can sort it;
//! 3. an `Enum` member: its `value`;
//! 4. a dataclass instance: a map of its fields;
//! 5. `datetime.datetime` / `date` / `time`: `isoformat()`;
//! 6. `decimal.Decimal`, `uuid.UUID`, `pathlib.PurePath`: `str(obj)`;
//! 7. a numpy-like array or scalar (its type has `__array__` and `tolist`): `tolist()`;
//! 8. `numpy.bool_`: a bool; an object with `__index__` (numpy ints): an int; a
//!    `numbers.Real` (with `__float__`): a float;
//! 9. a converter registered for `object`, the last resort.
//!
//! Nothing here imports a module: a type is only looked for once its module is in
//! `sys.modules` (an instance of it cannot exist before), then kept.

use pyo3::exceptions::PyException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::type_object::PyTypeCheck;
use pyo3::types::{PyDict, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType};
use serde_value::Value;

use super::failure::{type_name, Failure};

/// How an object the fast path did not take converts.
pub(super) enum Library<'py> {
    /// A leaf: an ISO 8601 string, `str(obj)`, a bool or a float.
    Leaf(Value),
    /// An int, from `__index__`.
    Int(Bound<'py, PyInt>),
    /// Converts as this other object: a converter's result, an `Enum`'s value, `tolist()`.
    Replaced(Bound<'py, PyAny>),
    /// A dataclass's fields, in order.
    Fields(Vec<(String, Bound<'py, PyAny>)>),
    /// A set's items.
    Items(Bound<'py, PyList>),
}

/// How `object` converts, or why it cannot.
pub(super) fn classify<'py>(object: &Bound<'py, PyAny>) -> Result<Library<'py>, Failure> {
    let py = object.py();
    let ty = object.get_type();
    let converters = registry(py).filter(|converters| !converters.is_empty());
    if let Some(converters) = converters {
        if let Some(found) = specific_converter(converters, &ty) {
            return convert_with(object, found);
        }
    }
    if object.cast::<PySet>().is_ok() || object.cast::<PyFrozenSet>().is_ok() {
        return set_items(object).map(Library::Items);
    }
    static ENUM: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if is_instance(object, &ENUM, "enum", "Enum") {
        return object
            .getattr(intern!(py, "value"))
            .map(Library::Replaced)
            .map_err(|e| raised(object, "its value", &e));
    }
    if has(&ty, intern!(py, "__dataclass_fields__")) {
        static FIELDS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        if let Some(fields) = loaded(py, &FIELDS, "dataclasses", "fields") {
            return dataclass_fields(object, fields).map(Library::Fields);
        }
    }
    static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static TIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if is_instance(object, &DATE, "datetime", "date")
        || is_instance(object, &TIME, "datetime", "time")
    {
        return object
            .call_method0(intern!(py, "isoformat"))
            .and_then(|iso| Ok(iso.cast_into::<PyString>()?.to_str()?.to_owned()))
            .map(|iso| Library::Leaf(Value::String(iso)))
            .map_err(|e| raised(object, "isoformat()", &e));
    }
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static PURE_PATH: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if is_instance(object, &DECIMAL, "decimal", "Decimal")
        || is_instance(object, &UUID, "uuid", "UUID")
        || is_instance(object, &PURE_PATH, "pathlib", "PurePath")
    {
        return object
            .str()
            .and_then(|text| Ok(text.to_str()?.to_owned()))
            .map(|text| Library::Leaf(Value::String(text)))
            .map_err(|e| raised(object, "str()", &e));
    }
    if has(&ty, intern!(py, "__array__")) && has(&ty, intern!(py, "tolist")) {
        let list = object
            .call_method0(intern!(py, "tolist"))
            .map_err(|e| raised(object, "tolist()", &e))?;
        if list.get_type().is(&ty) {
            let name = type_name(object);
            return Err(Failure::new(format!(
                "cannot convert {name}: its tolist() returned a {name} again"
            )));
        }
        return Ok(Library::Replaced(list));
    }
    if is_numpy_bool(&ty) {
        return object
            .is_truthy()
            .map(|b| Library::Leaf(Value::Bool(b)))
            .map_err(|e| raised(object, "bool()", &e));
    }
    if let Ok(Some(index)) = ty.getattr_opt(intern!(py, "__index__")) {
        return index
            .call1((object,))
            .and_then(|n| Ok(n.cast_into::<PyInt>()?))
            .map(Library::Int)
            .map_err(|e| raised(object, "__index__()", &e));
    }
    static REAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if is_instance(object, &REAL, "numbers", "Real") {
        return object
            .extract::<f64>()
            .map(|x| Library::Leaf(Value::F64(x)))
            .map_err(|e| raised(object, "float()", &e));
    }
    if let Some(converters) = converters {
        if let Ok(Some(converter)) = converters.get_item(py.get_type::<PyAny>()) {
            return convert_with(object, (py.get_type::<PyAny>(), converter));
        }
    }
    let name = type_name(object);
    Err(Failure::new(format!(
        "cannot convert {name} (convert it in the broker, or register a converter: \
         pime.register_converter({name}, fn))"
    )))
}

/// The fields of a `NamedTuple` (a subclass of `tuple` whose type has `_fields`, one
/// name per item), or `None` for any other tuple.
pub(super) fn namedtuple_fields(tuple: &Bound<'_, PyTuple>) -> Option<Vec<String>> {
    let fields = tuple
        .get_type()
        .getattr_opt(intern!(tuple.py(), "_fields"))
        .ok()??;
    let fields: Vec<String> = fields.cast::<PyTuple>().ok()?.extract().ok()?;
    (fields.len() == tuple.len()).then_some(fields)
}

/// `pime._CONVERTERS`, the registry `pime.register_converter` fills: type -> function.
/// `None` while the `pime` module is not loaded (conversion outside an engine).
fn registry(py: Python<'_>) -> Option<&Bound<'_, PyDict>> {
    static CONVERTERS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    if let Some(converters) = CONVERTERS.get(py) {
        return Some(converters.bind(py));
    }
    let pime = sys_modules(py)?.get_item("pime").ok()??;
    let converters = pime
        .getattr("_CONVERTERS")
        .ok()?
        .cast_into::<PyDict>()
        .ok()?;
    Some(CONVERTERS.get_or_init(py, || converters.unbind()).bind(py))
}

/// The converter registered for `ty` itself, or else for the nearest of its base
/// classes, `object` aside: (the type it was registered for, the function).
fn specific_converter<'py>(
    converters: &Bound<'py, PyDict>,
    ty: &Bound<'py, PyType>,
) -> Option<(Bound<'py, PyType>, Bound<'py, PyAny>)> {
    if let Ok(Some(converter)) = converters.get_item(ty) {
        return Some((ty.clone(), converter));
    }
    let object_type = ty.py().get_type::<PyAny>();
    ty.mro()
        .iter()
        .skip(1)
        .filter(|base| !base.is(&object_type))
        .find_map(|base| {
            let converter = converters.get_item(&base).ok()??;
            Some((base.cast_into::<PyType>().ok()?, converter))
        })
}

/// `converter(object)`, which must be something else than another `type(object)`.
fn convert_with<'py>(
    object: &Bound<'py, PyAny>,
    (registered_for, converter): (Bound<'py, PyType>, Bound<'py, PyAny>),
) -> Result<Library<'py>, Failure> {
    let registered_for = registered_for
        .fully_qualified_name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "<unnamed type>".into());
    let converted = converter.call1((object,)).map_err(|e| {
        Failure::new(format!(
            "cannot convert {}: the converter registered for {registered_for} raised {e}",
            type_name(object)
        ))
    })?;
    if converted.get_type().is(object.get_type()) {
        let name = type_name(object);
        return Err(Failure::new(format!(
            "cannot convert {name}: the converter registered for {registered_for} returned \
             a {name} again (it must return a value the table converts)"
        )));
    }
    Ok(Library::Replaced(converted))
}

/// The items of a set or frozenset: sorted when they can be, else in iteration order.
fn set_items<'py>(set: &Bound<'py, PyAny>) -> Result<Bound<'py, PyList>, Failure> {
    let py = set.py();
    let items = || -> PyResult<Bound<'py, PyList>> {
        Ok(py
            .get_type::<PyList>()
            .call1((set,))?
            .cast_into::<PyList>()?)
    };
    let sorted = items().map_err(|e| raised(set, "iterating it", &e))?;
    match sorted.sort() {
        Ok(()) => Ok(sorted),
        // Items of kinds that do not compare (`{1, "a"}`): in the set's own order.
        Err(error) if error.is_instance_of::<PyException>(py) => {
            items().map_err(|e| raised(set, "iterating it", &e))
        }
        Err(error) => Err(raised(set, "sorting it", &error)),
    }
}

/// The fields of a dataclass instance, in order (`dataclasses.fields`), with their values.
fn dataclass_fields<'py>(
    object: &Bound<'py, PyAny>,
    fields: &Bound<'py, PyAny>,
) -> Result<Vec<(String, Bound<'py, PyAny>)>, Failure> {
    let py = object.py();
    let read = || -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let mut values = Vec::new();
        for field in fields.call1((object,))?.try_iter()? {
            let name: String = field?.getattr(intern!(py, "name"))?.extract()?;
            let value = object.getattr(name.as_str())?;
            values.push((name, value));
        }
        Ok(values)
    };
    read().map_err(|e| raised(object, "reading its fields", &e))
}

/// Whether `ty` (a type: its instances' attributes are not looked at) has `name`.
fn has(ty: &Bound<'_, PyType>, name: &Bound<'_, PyString>) -> bool {
    ty.hasattr(name).unwrap_or(false)
}

/// `numpy.bool_` (numpy 1) or `numpy.bool` (numpy 2), told by name: numpy is not imported.
fn is_numpy_bool(ty: &Bound<'_, PyType>) -> bool {
    ty.fully_qualified_name()
        .is_ok_and(|name| matches!(name.to_str(), Ok("numpy.bool_" | "numpy.bool")))
}

/// `isinstance(object, module.name)`, false while `module` is not loaded.
fn is_instance(
    object: &Bound<'_, PyAny>,
    cell: &'static PyOnceLock<Py<PyType>>,
    module: &str,
    name: &str,
) -> bool {
    loaded(object.py(), cell, module, name)
        .is_some_and(|ty| object.is_instance(ty).unwrap_or(false))
}

/// `module.name`, kept in `cell` once `module` is in `sys.modules`; `None` before.
fn loaded<'py, T: PyTypeCheck>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<T>>,
    module: &str,
    name: &str,
) -> Option<&'py Bound<'py, T>> {
    if cell.get(py).is_none() && !sys_modules(py)?.contains(module).unwrap_or(false) {
        return None;
    }
    cell.import(py, module, name).ok()
}

/// `sys.modules`.
fn sys_modules(py: Python<'_>) -> Option<&Bound<'_, PyDict>> {
    static MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    MODULES
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py
                .import("sys")?
                .getattr("modules")?
                .cast_into::<PyDict>()?
                .unbind())
        })
        .ok()
        .map(|modules| modules.bind(py))
}

/// `cannot convert T: <what> raised E: message`.
fn raised(object: &Bound<'_, PyAny>, what: &str, error: &PyErr) -> Failure {
    Failure::new(format!(
        "cannot convert {}: {what} raised {error}",
        type_name(object)
    ))
}
