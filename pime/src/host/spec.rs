//! What `#[pime::host_module]` generates for one module: its name, its functions and
//! their bodies, type-erased so the runtime handles every module the same way.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_value::Value;

use crate::error::Result;

/// A set of Rust functions that Python code imports as a module; the `NameHost<T>`
/// structs that [`macro@crate::host_module`] generates implement it. Register one with
/// [`crate::EngineBuilder::host`] (or [`crate::PySyncEngine::add_host`]).
pub trait HostModule: Send + 'static {
    /// The Python module name (`module = ".."` of the attribute).
    fn module_name(&self) -> &'static str;

    /// The module's functions, for the runtime.
    #[doc(hidden)]
    fn into_spec(self) -> HostSpec;
}

/// One host module as the runtime sees it.
#[doc(hidden)]
pub struct HostSpec {
    /// The Python module name.
    pub module: &'static str,
    /// The module's docstring (the trait's doc comment).
    pub doc: &'static str,
    /// Its functions, in declaration order.
    pub functions: Vec<HostFunctionSpec>,
}

impl fmt::Debug for HostSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostSpec")
            .field("module", &self.module)
            .field("functions", &self.functions)
            .finish()
    }
}

/// One host function.
#[doc(hidden)]
pub struct HostFunctionSpec {
    /// The Python name.
    pub name: &'static str,
    /// The keyword of each argument, in order (positional arguments fill them in order).
    pub params: &'static [&'static str],
    /// The parameters as the `.pyi` declares them, without the type hints
    /// (`a, b=None`): for `inspect.signature`.
    pub signature: &'static str,
    /// Its docstring (the method's doc comment).
    pub doc: &'static str,
    /// What calling it runs.
    pub body: HostBody,
}

impl fmt::Debug for HostFunctionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.body {
            HostBody::Sync(_) => "fn",
            HostBody::Async(_) => "async fn",
        };
        write!(f, "{kind} {}({})", self.name, self.params.join(", "))
    }
}

/// The future of an `async fn` host function, its result already a [`Value`].
#[doc(hidden)]
pub type HostFuture = Pin<Box<dyn Future<Output = Result<Value>> + Send>>;

/// The body of a plain `fn` host function.
#[doc(hidden)]
pub type PlainBody = dyn Fn(HostArgs) -> std::result::Result<Result<Value>, ArgError> + Send + Sync;

/// A host future driven where it was made, borrowed from the body's stack.
#[doc(hidden)]
pub type LocalHostFuture<'a> = Pin<&'a mut (dyn Future<Output = Result<Value>> + Send + 'a)>;

/// What a sync call of an `async fn` does with its future: drives it to its end on
/// the calling thread.
#[doc(hidden)]
pub type Drive<'d> = dyn for<'a> FnMut(LocalHostFuture<'a>) -> Result<Value> + 'd;

/// How a sync call runs an `async fn`: the future, pinned on the body's stack (no
/// allocation, the implementation borrowed), goes to the [`Drive`], whose result
/// the body returns.
#[doc(hidden)]
pub type DrivenBody =
    dyn Fn(HostArgs, &mut Drive<'_>) -> std::result::Result<Result<Value>, ArgError> + Send + Sync;

/// How an `aio` call runs an `async fn`: the future, boxed, to be spawned on the
/// runtime.
#[doc(hidden)]
pub type SpawnedBody = dyn Fn(HostArgs) -> std::result::Result<HostFuture, ArgError> + Send + Sync;

/// The bodies of an `async fn` host function: each decodes the arguments and makes
/// the future.
#[doc(hidden)]
pub struct AsyncBody {
    /// For a sync call.
    pub here: Box<DrivenBody>,
    /// For an `aio` call.
    pub spawned: Box<SpawnedBody>,
}

impl fmt::Debug for AsyncBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AsyncBody")
    }
}

/// A host function's body: it decodes the arguments (an [`ArgError`] becomes Python's
/// `TypeError`), then calls the trait method.
#[doc(hidden)]
#[derive(Clone)]
pub enum HostBody {
    /// A plain `fn`: runs on the calling thread, GIL released.
    Sync(Arc<PlainBody>),
    /// An `async fn`: its future runs on the engine's tokio runtime.
    Async(Arc<AsyncBody>),
}

impl fmt::Debug for HostBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostBody::Sync(_) => "HostBody::Sync",
            HostBody::Async(_) => "HostBody::Async",
        })
    }
}

/// The arguments of one host call, by parameter position (`None`: not given).
#[doc(hidden)]
#[derive(Debug)]
pub struct HostArgs {
    pub(crate) module: &'static str,
    pub(crate) function: &'static str,
    pub(crate) params: &'static [&'static str],
    pub(crate) values: Vec<Option<Value>>,
}

impl HostArgs {
    /// Decodes the argument at `index` into `T` (`type_name`: `T` as written, for the
    /// message). Only an `Option` may be left out: it decodes as `None`.
    pub fn take<T: DeserializeOwned>(
        &mut self,
        index: usize,
        type_name: &'static str,
    ) -> std::result::Result<T, ArgError> {
        let name = self.params[index];
        let (module, function) = (self.module, self.function);
        match self.values[index].take() {
            None => T::deserialize(LeftOut).map_err(|_| {
                ArgError(format!(
                    "{module}.{function}() missing required argument: '{name}'"
                ))
            }),
            Some(value) => T::deserialize(value).map_err(|error| {
                ArgError(format!(
                    "{module}.{function}() argument '{name}' does not decode into \
                     `{type_name}`: {error}"
                ))
            }),
        }
    }
}

/// What a left-out argument decodes from: `None` for an `Option`, an error for any
/// other type (a `Value` or a `()` would take a null as given, which nobody passed).
struct LeftOut;

impl<'de> serde::Deserializer<'de> for LeftOut {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        _visitor: V,
    ) -> std::result::Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("missing"))
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, Self::Error> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// An argument that does not fit its Rust type: raised in Python as `TypeError`.
#[doc(hidden)]
#[derive(Debug)]
pub struct ArgError(pub(crate) String);
