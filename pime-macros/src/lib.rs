//! The attributes of [PIME](https://docs.rs/pime): `#[python_module]` (a Rust trait
//! declares the commands of a Python broker module, and the macro generates a client
//! that calls them with typed async methods) and `#[host_module]` (a Rust trait
//! declares functions Python code calls as a module). Use them through
//! `pime::python_module` and `pime::host_module`; the documentation is on
//! [`macro@python_module`] and [`macro@host_module`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod attr_args;
mod errors;
mod expand;
mod model;
mod names;
mod option_table;
mod options;
mod parse;
mod python_source;
mod types;
mod validate;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;

use crate::errors::Errors;
use crate::model::Flavor;
use crate::parse::Parsed;

/// Turns a trait into typed async calls into the Python broker.
///
/// ```no_run
/// #[pime::python_module]
/// pub trait Greeter {
///     /// Says hello.
///     async fn hello(&self, name: &str) -> pime::Result<String>;
///     #[pime(name = "bye")]
///     async fn goodbye(&self) -> pime::Result<String>;
///     #[pime(no_wait)]
///     async fn log(&self, line: String) -> pime::Result<()>;
///     #[pime(exclusive, timeout = "500ms")]
///     async fn add(&self, a: i64, #[pime(rename = "type")] kind: String) -> pime::Result<i64>;
///     async fn search(&self, q: String, limit: Option<u32>) -> pime::Result<Vec<String>>;
///     /// Python returns a generator; its items arrive one by one.
///     async fn count(&self, n: u32) -> pime::Result<pime::PyStream<u32>>;
/// }
///
/// # async fn demo() -> pime::Result<()> {
/// let greeting = GreeterClient.hello("Rust").await?;
/// let mut numbers = GreeterClient.count(3).await?;
/// while let Some(number) = numbers.next().await {
///     println!("{}", number?);
/// }
/// # Ok(()) }
/// ```
///
/// # What it generates
///
/// * The trait as written, without the `#[pime]` attributes and with each method's
///   future declared `Send` (`fn hello(..) -> impl Future<Output = ..> + Send`), so a
///   test can implement it with plain `async fn`s, and client futures can be spawned.
/// * `GreeterClient` (named by `client = ..`), a `Copy + Clone + Default + Debug` unit
///   struct with the trait's visibility, implementing the trait.
/// * `GreeterClient::COMMANDS`: every command name, namespace included, in
///   declaration order.
/// * `GreeterClient::PYTHON_STUB`: Python source declaring the functions the broker
///   module must provide (with `pime.Broker` registration, type hints and docstrings).
/// * `GreeterClient::verify().await`: asks the running broker which commands it serves
///   and returns an error listing each missing one.
///
/// Nothing else: no globals, no registration at start-up.
///
/// # Calls
///
/// Each call sends `broker(command, params)`, `params` always a dict (empty for a method
/// without arguments). The command is the method name, or
/// `#[pime(name = "...")]`, prefixed with `namespace.` when the module has one.
/// `params` is a dict from each argument's name (or `#[pime(rename = "...")]`) to its
/// serde value; an argument whose value serializes to `None` (an `Option` that is
/// `None`) is left out, so the Python default applies. Arguments are serialized when
/// the method is called, before the future is first polled; the future is `Send`
/// whatever the argument types. (Like any `async fn` in a trait, its type still
/// carries the lifetimes of the arguments.)
/// An argument that fails to serialize gives a `PackError`; a result that does not
/// decode into the declared type gives an `UnpackError` that names the command and the
/// expected type.
///
/// # Streams
///
/// A method declared `-> pime::Result<pime::PyStream<T>>` (or `PyStream<T>` imported,
/// written out rather than through a type alias; a bare `PyStream` streams
/// `pime::Value`s) sends its task with `pime::call_stream`: the Python command returns a
/// generator, an async generator or another iterable, and the method returns as soon as
/// the task is queued, with a `pime::PyStream<T>` of the items, each decoded into `T` as
/// it arrives (`T` must implement `serde::de::DeserializeOwned`). An exception in the
/// generator arrives as one `Err` item; an item that does not decode into `T` arrives as
/// one `UnpackError` naming the command, the item's index and the Rust type, and the
/// generator is then closed. Either way the stream ends after that item. Dropping the
/// stream closes the generator. `no_wait`, `exclusive` and `timeout` are compile errors
/// on a streaming method (there is no single result to wait for: bound each `next()`
/// with `tokio::time::timeout` instead). `PYTHON_STUB` declares the command
/// `-> Iterator[T]`. A mock implementation can return `PyStream::from_items([...])`.
///
/// # Options
///
/// On the attribute: `client = Name` (default: trait name + `Client`),
/// `namespace = "greeter"` (commands become `"greeter.hello"`), `crate = path` (where
/// the `pime` crate is, default `::pime`), and `source = "path/to/module.py"`.
///
/// With `source`, the Python file (relative to the crate's `Cargo.toml`) is read at
/// compile time: a command with no top-level `def` / `async def` (or
/// `@broker.command("name")` registration) is a compile error on the method, and so is
/// an argument the Python function does not accept (unless it takes `**kwargs`) or a
/// parameter without a default that the method does not send. The crate recompiles
/// when the file changes.
///
/// On a method: `name = "python_name"`, `no_wait` (fire and forget; the method must
/// return `pime::Result<()>`), `exclusive` (run inline on the engine's GIL thread), and
/// `timeout = "500ms"` (units `ms`, `s`, `m`): past the deadline the call gives an
/// `ErrorKind::Timeout` error and the task is dropped (cancelled if it had not started;
/// a running one finishes and its result is dropped). The deadline uses tokio's timer,
/// so the runtime needs it enabled (`#[tokio::main]` and `enable_all()` do).
///
/// On an argument: `rename = "python_name"`.
///
/// # Rules
///
/// Methods are `async fn name(&self, ...) -> pime::Result<T>;` with no body, no type
/// generics (lifetimes are fine) and plain argument names. Argument types must
/// implement `serde::Serialize` and `T` must implement `serde::de::DeserializeOwned`
/// (for `T = pime::PyStream<Item>`, `Item` must).
/// Command names and parameter names must be usable from Python: identifiers that are
/// not Python keywords; a command may not start with `_` (pime.Broker never dispatches
/// private or dunder names) and a parameter may not start with `__`. Raw identifiers
/// lose their `r#` (`r#type` is sent as `type`).
///
/// Every misuse is a compile error on the offending token; all are reported together,
/// and the trait and client are still emitted so no follow-on errors appear.
///
/// `verify()` fails with `ErrorKind::ExecError` listing the missing commands, or with
/// the call's error when the broker does not answer the `"__pime_commands__"` query.
#[proc_macro_attribute]
pub fn python_module(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(args.into(), item.into(), Flavor::Client).into()
}

/// Either attribute on `proc_macro2` tokens (so unit tests can run it): parse,
/// check, expand, then every error at once.
fn expand_attribute(args: TokenStream2, item: TokenStream2, flavor: Flavor) -> TokenStream2 {
    let mut errors = Errors::default();
    let output = match parse::parse(args, item, flavor, &mut errors) {
        Parsed::NotATrait(tokens) => tokens,
        Parsed::Module(module) => {
            let checked = validate::check_module(&module, &mut errors);
            let complete = errors.is_empty();
            match flavor {
                Flavor::Client => expand::expand(
                    &module,
                    &checked.methods,
                    checked.source.as_deref(),
                    complete,
                ),
                Flavor::Host => expand::expand_host(&module, &checked.methods, complete),
            }
        }
    };
    let errors = errors.into_compile_errors();
    quote!(#output #errors)
}

/// Turns a trait into Rust functions that Python code calls as a module.
///
/// ```no_run
/// #[derive(serde::Serialize)]
/// pub struct User {
///     name: String,
/// }
///
/// /// What plugins may ask of the host.
/// #[pime::host_module(module = "app")]
/// pub trait App {
///     /// The user with this id.
///     async fn get_user(&self, id: u64) -> pime::Result<User>;
///     /// Plain functions are allowed too.
///     fn version(&self) -> pime::Result<String>;
/// }
///
/// struct MyApp;
///
/// impl App for MyApp {
///     async fn get_user(&self, id: u64) -> pime::Result<User> {
///         Ok(User { name: format!("user {id}") })
///     }
///     fn version(&self) -> pime::Result<String> {
///         Ok("1.0".into())
///     }
/// }
///
/// # async fn demo() -> pime::Result<()> {
/// let engine = pime::Engine::builder()
///     .host(AppHost::new(MyApp))
///     .broker("plugins", "broker")
///     .start()
///     .await?;
/// # engine.stop().await }
/// ```
///
/// In Python, `import app` (registered before the broker module is imported), then
/// `app.get_user(id=1)` from sync code or `await app.aio.get_user(id=1)` from async code.
///
/// # What it generates
///
/// * The trait as written, with each `async fn`'s future declared `Send`, so an
///   implementation still uses plain `async fn`s.
/// * `AppHost<T>` (named by `host = ..`; the trait's name + `Host` by default):
///   `AppHost::new(implementation)` (or `from_arc`), `AppHost::MODULE`, and
///   `AppHost::PYTHON_STUB`, a `.pyi` of the module with type hints and the doc
///   comments as docstrings. It implements `pime::HostModule` when `T: App + Send +
///   Sync + 'static`.
///
/// # Calls
///
/// Each function takes its arguments by position or by keyword (the Rust argument
/// names, or `#[pime(rename = "..")]`); an `Option` argument may be left out. Values
/// convert from Python by the README's value table, then decode into the argument's
/// type with serde: an unknown or missing argument, or a value that does not decode,
/// raises `TypeError` naming it. The result converts back the same way.
///
/// A sync call (`app.get_user(..)`) blocks its Python thread with the GIL released
/// until the Rust future ends; the future runs on the tokio runtime that started the
/// engine. An `aio` call returns an awaitable and leaves the event loop running;
/// cancelling it drops the Rust future. A plain `fn` runs on the calling thread.
/// `Err(pime::Error)`, or a panic, raises `pime.HostError` with the message and the
/// error kind (`.kind`).
///
/// A host function may call back into Python (`pime::call`, a typed client); those
/// tasks inherit the calling task's context ([`pime::context()`] reads it in the host
/// function). A pool worker waiting in a host call lends its place in the pool (another
/// worker may start beyond the maximum meanwhile), so nested calls complete even on a
/// pool of one worker.
///
/// # Options
///
/// On the attribute: `module = "name"` (required: the name Python imports), `host =
/// Name`, `crate = path`. On a method: `name = "python_name"`. On an argument:
/// `rename = "python_name"`.
///
/// # Rules
///
/// Methods are `async fn name(&self, ...) -> pime::Result<T>;` or plain `fn`, without
/// a body or type generics; arguments are owned types implementing
/// `serde::de::DeserializeOwned` (`String`, not `&str`), and `T` implements
/// `serde::Serialize`. Names follow the same rules as [`macro@python_module`]'s, and a
/// function may not be named `aio`. Every misuse is a compile error on the offending
/// token.
#[proc_macro_attribute]
pub fn host_module(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(args.into(), item.into(), Flavor::Host).into()
}

#[cfg(test)]
mod tests;
