//! Registering host modules: each becomes a module in `sys.modules`, so the broker's
//! `import app` finds it, with one function per method and an `aio` namespace of the
//! awaitable forms.
//!
//! A name already taken is refused (another host module, a module already imported,
//! or one Python could import from `sys.path`), except a host module PIME registered
//! before: that module object is filled anew, and its earlier function objects hand
//! their calls on to the new ones, so a broker that imported it (or `from app import
//! get_user`) during an earlier launch calls the new host. When the registration is dropped its functions
//! stop working (they raise `pime.HostError`); the module stays.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyString};
use tokio::runtime::Handle;

use super::callable;
use super::function::FunctionShared;
use super::spec::HostSpec;
use crate::error::{Error, ErrorKind, Result};
use crate::python::exceptions::exec_error_in;
use crate::waiting::lock;

/// The attribute that marks a module as a PIME host module.
const MARK: &str = "__pime_host__";

/// The function each `(module, function)` name was last registered as, while any
/// object or registration keeps it: the one an earlier launch's objects hand their
/// calls on to when the name is registered again.
static LATEST: Mutex<BTreeMap<(&'static str, &'static str), Weak<FunctionShared>>> =
    Mutex::new(BTreeMap::new());

/// A host module registered in `sys.modules`, live until dropped.
pub(crate) struct HostRegistration {
    module: &'static str,
    /// Its functions (retired when it is dropped).
    functions: Vec<Arc<FunctionShared>>,
}

impl std::fmt::Debug for HostRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HostRegistration({})", self.module)
    }
}

impl HostRegistration {
    /// Registers `spec`, whose futures run on `runtime`. `taken`: the host modules
    /// registered already for the same engine.
    pub(crate) fn register(
        py: Python<'_>,
        spec: HostSpec,
        runtime: &Handle,
        taken: &[HostRegistration],
    ) -> Result<HostRegistration> {
        let name = spec.module;
        if taken.iter().any(|registered| registered.module == name) {
            return Err(clash(format!(
                "two host modules are named `{name}`; give each its own `module = \"..\"`"
            )));
        }
        let mut functions = Vec::new();
        let build = || -> PyResult<std::result::Result<(), Error>> {
            let sys_modules = py.import("sys")?.getattr("modules")?;
            let module = match sys_modules.get_item(name).ok() {
                Some(existing) if existing.hasattr(MARK)? => existing.cast_into::<PyModule>()?,
                Some(existing) => {
                    return Ok(Err(clash(format!(
                        "the host module `{name}` would replace the Python module `{name}` \
                         already imported ({}); give the host module another `module = \"..\"`",
                        describe(&existing)
                    ))))
                }
                None => {
                    let found = py
                        .import("importlib.util")?
                        .call_method1("find_spec", (name,))?;
                    if !found.is_none() {
                        let origin = found.getattr("origin")?;
                        return Ok(Err(clash(format!(
                            "the host module `{name}` would hide the Python module `{name}` \
                             (found at {origin}); give the host module another `module = \"..\"`"
                        ))));
                    }
                    let module = PyModule::new(py, name)?;
                    module.setattr(MARK, true)?;
                    sys_modules.set_item(name, &module)?;
                    module
                }
            };
            module.setattr("__doc__", spec.doc)?;
            let aio = PyDict::new(py);
            let module_name = PyString::new(py, name);
            for function in spec.functions {
                let function_name = function.name;
                let shared = FunctionShared::new(name, function, runtime.clone());
                // Objects an earlier launch made (`from app import get_user`) call
                // this host from now on, whatever the module holds by now.
                if let Some(earlier) = lock(&LATEST)
                    .insert((name, function_name), Arc::downgrade(&shared))
                    .and_then(|earlier| earlier.upgrade())
                {
                    earlier.hand_on(&shared);
                }
                let (sync, awaitable) = callable::objects(py, &shared, &module_name)?;
                module.setattr(function_name, sync)?;
                aio.set_item(function_name, awaitable)?;
                functions.push(shared);
            }
            let namespace = py
                .import("types")?
                .getattr("SimpleNamespace")?
                .call((), Some(&aio))?;
            module.setattr("aio", namespace)?;
            Ok(Ok(()))
        };
        build().map_err(|err| {
            exec_error_in(
                py,
                err,
                &format!("cannot register the host module `{name}`"),
            )
        })??;
        Ok(HostRegistration {
            module: name,
            functions,
        })
    }
}

impl Drop for HostRegistration {
    fn drop(&mut self) {
        for function in &self.functions {
            function.retire();
        }
    }
}

/// `<module 'json' from '...'>`.
fn describe(module: &Bound<'_, PyAny>) -> String {
    module
        .repr()
        .map(|repr| repr.to_string())
        .unwrap_or_else(|_| "a module".into())
}

fn clash(message: String) -> Error {
    Error::new(ErrorKind::ExecError, message)
}
