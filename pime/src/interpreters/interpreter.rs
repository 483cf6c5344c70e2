//! One isolated subinterpreter with its own GIL (PEP 684), created, entered and ended
//! on its worker's thread, and the `_pime_interpreter` functions loaded into it.

use std::ffi::{CStr, CString};

use pyo3::ffi;
use serde_value::Value;

use super::convert;
use super::log_bridge;
use super::object::{Gil, Object};
use crate::error::{Error, ErrorKind, Result};

/// The embedded modules a subinterpreter loads, in order: the helper package (for
/// `pime.Broker`, `pime.context()`, converters), then the worker's side.
const MODULES: [(&CStr, &CStr, &str); 2] = [
    (
        c"pime",
        c"<pime embedded>/pime/__init__.py",
        include_str!("../../python/pime/__init__.py"),
    ),
    (
        c"_pime_interpreter",
        c"<pime embedded>/_pime_interpreter.py",
        include_str!("../../python/_pime_interpreter.py"),
    ),
];

/// The stack of a thread that owns an interpreter, as the thread pool's
/// (`pool::WORKER_STACK_SIZE`).
pub(super) const STACK_SIZE: usize = 8 << 20;

/// Held while an interpreter is set up (created, its modules and the broker imported)
/// or ended. CPython 3.12 and 3.13 initialize and finalize an own-GIL interpreter
/// without the main GIL; while one interpreter was being created and another imported
/// modules, CPython 3.12.1 was seen to fail the new one's codec lookup (and then hang).
/// Serving is not serialized.
static LIFECYCLE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds [`LIFECYCLE`] for setting an interpreter up: from before
/// [`Interpreter::create`] until the broker is imported.
pub(super) fn setting_up() -> std::sync::MutexGuard<'static, ()> {
    crate::waiting::lock(&LIFECYCLE)
}

/// A subinterpreter of this thread. Not `Send`: its thread states belong here.
pub(super) struct Interpreter {
    /// Its thread state, detached while the worker is not inside [`Interpreter::enter`].
    state: *mut ffi::PyThreadState,
    /// This thread's state in the main interpreter, which created it; detached since.
    gilstate: ffi::PyGILState_STATE,
    main: *mut ffi::PyThreadState,
}

impl Interpreter {
    /// Creates one on this thread, which must not be attached to Python (and must hold
    /// [`setting_up`]): isolated (its
    /// own object allocator, no fork or exec, no daemon threads, only extensions that
    /// support several interpreters) and with its own GIL.
    pub(super) fn create() -> Result<Interpreter> {
        let config = ffi::PyInterpreterConfig {
            use_main_obmalloc: 0,
            allow_fork: 0,
            allow_exec: 0,
            allow_threads: 1,
            allow_daemon_threads: 0,
            check_multi_interp_extensions: 1,
            gil: ffi::PyInterpreterConfig_OWN_GIL,
        };
        // SAFETY: `Py_NewInterpreterFromConfig` wants the calling interpreter's GIL held
        // and a current thread state: `PyGILState_Ensure` gives this thread one in the
        // main interpreter. On success it detaches that state (releasing the main GIL)
        // and leaves the new interpreter's current, its GIL held; on failure the main
        // state is current again. (CPython `Python/pylifecycle.c`, `new_interpreter`.)
        unsafe {
            let gilstate = ffi::PyGILState_Ensure();
            let main = ffi::PyThreadState_Get();
            let mut state = std::ptr::null_mut();
            let status = ffi::Py_NewInterpreterFromConfig(&mut state, &config);
            if ffi::PyStatus_Exception(status) != 0 || state.is_null() {
                let reason = if status.err_msg.is_null() {
                    "no reason given".to_string()
                } else {
                    CStr::from_ptr(status.err_msg)
                        .to_string_lossy()
                        .into_owned()
                };
                ffi::PyGILState_Release(gilstate);
                return Err(Error::new(
                    ErrorKind::ExecError,
                    format!("cannot create a subinterpreter: {reason}"),
                ));
            }
            // Detached until entered.
            let state = ffi::PyEval_SaveThread();
            Ok(Interpreter {
                state,
                gilstate,
                main,
            })
        }
    }

    /// Runs `body` with this interpreter current and its GIL held. Every object of it
    /// lives inside `body` (the `Gil` cannot leave it).
    pub(super) fn enter<R>(&mut self, body: impl for<'i> FnOnce(Gil<'i>) -> R) -> R {
        /// Detaches the state again however `body` ends (a panic unwinds through here
        /// only after `body`'s objects were dropped, under the GIL).
        struct Detach<'a>(&'a mut *mut ffi::PyThreadState);
        impl Drop for Detach<'_> {
            fn drop(&mut self) {
                // SAFETY: the state attached below is current on this thread.
                *self.0 = unsafe { ffi::PyEval_SaveThread() };
            }
        }
        // SAFETY: `state` is this interpreter's, detached, and of this thread.
        unsafe { ffi::PyEval_RestoreThread(self.state) };
        let _detach = Detach(&mut self.state);
        // SAFETY: attached above until `_detach` drops, after `body` returned.
        body(unsafe { Gil::assume() })
    }

    /// Ends the interpreter (`Py_EndInterpreter`: it joins the threads its Python code
    /// started, runs `atexit`, frees its objects), and this thread's main state with it.
    pub(super) fn end(self) {
        // SAFETY: `state` is this interpreter's only thread state PIME made, detached;
        // attached, it is what `Py_EndInterpreter` wants current, and afterwards no
        // state is current, so the main one can be attached again and released as
        // `PyGILState_Ensure` made it.
        unsafe {
            {
                let _one_at_a_time = crate::waiting::lock(&LIFECYCLE);
                ffi::PyEval_RestoreThread(self.state);
                ffi::Py_EndInterpreter(self.state);
            }
            ffi::PyEval_RestoreThread(self.main);
            ffi::PyGILState_Release(self.gilstate);
        }
    }
}

/// The functions of `_pime_interpreter` a worker calls, loaded into its interpreter.
pub(super) struct Runtime<'i> {
    pub(super) gil: Gil<'i>,
    pub(super) call: Object<'i>,
    pub(super) stream: Object<'i>,
    pub(super) close: Object<'i>,
    pub(super) plain: Object<'i>,
    load: Object<'i>,
    describe: Object<'i>,
    finish: Object<'i>,
}

impl<'i> Runtime<'i> {
    /// Loads the embedded modules, sets `sys.path` to `paths`, names the thread for
    /// `threading` as the OS does, and sends `logging` records from `log_level` up to
    /// Rust.
    pub(super) fn load(gil: Gil<'i>, paths: &[String], log_level: i64) -> Result<Runtime<'i>> {
        let failed = |what: &str, exception: Object<'i>| {
            Error::new(
                ErrorKind::ExecError,
                format!(
                    "cannot set up a subinterpreter: {what}: {}",
                    convert::message_of(&exception)
                ),
            )
        };
        for (name, file_name, source) in MODULES {
            let source = CString::new(source).expect("embedded sources hold no NUL");
            // SAFETY: under the GIL; NUL-terminated strings; a new code object (or
            // null with an exception), then the module `PyImport_ExecCodeModuleEx`
            // runs and records in `sys.modules` (or null with an exception).
            unsafe {
                let code = gil
                    .own(ffi::Py_CompileStringExFlags(
                        source.as_ptr(),
                        file_name.as_ptr(),
                        ffi::Py_file_input,
                        std::ptr::null_mut(),
                        -1,
                    ))
                    .map_err(|e| failed("compiling an embedded module", e))?;
                gil.own(ffi::PyImport_ExecCodeModuleEx(
                    name.as_ptr(),
                    code.as_ptr(),
                    file_name.as_ptr(),
                ))
                .map_err(|e| failed("running an embedded module", e))?;
            }
        }
        let module = gil
            .import(c"_pime_interpreter")
            .map_err(|e| failed("importing _pime_interpreter", e))?;
        let function = |name: &CStr| {
            module
                .getattr(name)
                .map_err(|e| failed("reading _pime_interpreter", e))
        };
        let runtime = Runtime {
            gil,
            call: function(c"call")?,
            stream: function(c"stream")?,
            close: function(c"close")?,
            plain: function(c"plain")?,
            load: function(c"load")?,
            describe: function(c"describe")?,
            finish: function(c"finish")?,
        };
        let paths = Value::Seq(paths.iter().cloned().map(Value::String).collect());
        let paths = convert::to_python(gil, &paths, "sys.path")?;
        let name = std::thread::current()
            .name()
            .unwrap_or("pime-interpreter")
            .to_owned();
        let name = gil.str(&name).map_err(|e| failed("naming the thread", e))?;
        let emit = log_bridge::function(gil).map_err(|e| failed("the log bridge", e))?;
        let level = convert::to_python(gil, &Value::I64(log_level), "log level")?;
        function(c"setup")?
            .call(&[&paths, &name, &emit, &level])
            .map_err(|e| failed("setting up", e))?;
        Ok(runtime)
    }

    /// `module.attribute` in this interpreter, imported, or reloaded when `reload`.
    pub(super) fn load_broker(
        &self,
        (module, attribute): &(String, String),
        reload: bool,
    ) -> Result<Object<'i>> {
        let gil = self.gil;
        let loaded = gil.str(module).and_then(|module| {
            let attribute = gil.str(attribute)?;
            // SAFETY: under the GIL; `Py_True`/`Py_False` are immortal objects.
            let reload = unsafe {
                gil.borrow(if reload {
                    ffi::Py_True()
                } else {
                    ffi::Py_False()
                })
            };
            self.load.call(&[&module, &attribute, &reload])
        });
        loaded.map_err(|exception| {
            let mut error = self.error(&exception);
            error.kind = ErrorKind::ExecError;
            // CPython's words for an extension with single-phase init.
            let hint = if error
                .message
                .contains("does not support loading in subinterpreters")
            {
                ". Every module a broker imports must support isolated subinterpreters (a \
                 C extension with single-phase init, such as numpy today, does not): use \
                 .thread_pool(..), or a ProcessPoolExecutor with .executor(..)"
            } else {
                ""
            };
            error.message = format!(
                "cannot load the broker {module}.{attribute} in a subinterpreter: {}: {}{hint}",
                error.exception.as_deref().unwrap_or("Exception"),
                error.message
            );
            error
        })
    }

    /// A Python exception as the caller's error: class, message and traceback.
    pub(super) fn error(&self, exception: &Object<'i>) -> Error {
        let described = self.describe.call(&[exception]).ok();
        let part = |i| described.as_ref().and_then(|d| d.tuple_item(i));
        let class = part(0).and_then(|c| c.to_text());
        let message = part(1)
            .and_then(|m| m.to_text())
            .unwrap_or_else(|| convert::message_of(exception));
        let traceback = part(2).and_then(|t| t.to_text());
        Error {
            kind: ErrorKind::PyException,
            message,
            exception: Some(class.unwrap_or_else(|| convert::type_name(exception))),
            traceback,
        }
    }

    /// The worker ends: closes its event loop.
    pub(super) fn finish(&self) {
        if let Err(e) = self.finish.call(&[]) {
            log::warn!(target: "pime", "a subinterpreter worker's clean-up raised: {}", convert::message_of(&e));
        }
    }
}
