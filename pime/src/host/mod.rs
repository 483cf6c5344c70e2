//! Host modules: Rust functions Python calls, declared with `#[pime::host_module]`.
//!
//! * `spec`: what the macro generates for each module (its functions, their
//!   parameters, and type-erased bodies that decode the arguments and call the trait).
//! * `module`: registering a module in `sys.modules` before the broker is imported;
//!   names that clash are refused.
//! * `callable`: the Python objects (`app.get_user`, `app.aio.get_user`): C functions
//!   CPython calls through vectorcall, whose `self` carries the function.
//! * `function`: what a call does, and the two ways it waits: a sync call blocks its thread with the GIL released (a pool
//!   worker lends its place in the pool meanwhile), an `aio` call gives the event loop an
//!   awaitable.
//! * `arguments`: a call's arguments as values by parameter, and the caller's context.
//! * `scope`: what a host function sees of the call that made it (the task's context,
//!   the call's span), and the check that keeps a host call on the engine thread from
//!   waiting for the engine thread.
//!
//! May use: `pool` (a waiting worker lends its place), `python`, `value`, `error`.
//! Used by `engine` (registration) and `client` (the context nested calls inherit).

mod arguments;
mod callable;
mod function;
mod module;
pub(crate) mod scope;
mod spec;

pub(crate) use module::HostRegistration;
pub use scope::context;
pub use spec::{
    ArgError, AsyncBody, Drive, DrivenBody, HostArgs, HostBody, HostFunctionSpec, HostFuture,
    HostModule, HostSpec, LocalHostFuture, PlainBody, SpawnedBody,
};
