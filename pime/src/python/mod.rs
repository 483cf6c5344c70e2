//! The Python side of the process: what PIME does to the interpreter itself.
//!
//! * `sources`: the embedded Python half (`_pime_runtime`, the `pime` helper package).
//! * `exceptions`: Python exceptions and Rust panics as [`Error`](crate::Error)s.
//! * `logging`: Python `logging` into Rust's `log`.
//! * `log_record`: one Python log record into Rust (both interpreters' bridges).
//! * `context_vars`: reading the embedded half's context variables on a hot path.
//! * `coroutines`: cancelling a coroutine on the engine's event loop.
//! * `call_span`: the call's tracing span, in Rust and in Python (feature `tracing`).
//! * `signals`: keeping Ctrl-C with the Rust program.
//! * `venv`: activating a virtual environment.
//! * `interpreter`: warning when the CPython that runs is not the one built against.
//!
//! May use: `error` only (and `value` for type names). Everything above uses it.

pub(crate) mod call_span;
pub(crate) mod context_vars;
pub(crate) mod coroutines;
pub(crate) mod exceptions;
pub(crate) mod interpreter;
pub(crate) mod log_record;
pub(crate) mod logging;
pub(crate) mod signals;
pub(crate) mod sources;
pub(crate) mod venv;
