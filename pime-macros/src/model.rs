//! What the macro understood from the trait: the module and its methods.

use proc_macro2::Span;
use syn::{Attribute, Ident, ItemTrait, LitStr, Path, Signature, Type};

/// The whole `#[python_module]` trait.
pub struct Module {
    /// The trait as it will be emitted (`#[pime]` attributes removed, futures `Send`).
    pub item: ItemTrait,
    /// The client struct's name.
    pub client: Ident,
    /// The runtime crate path (default `::pime`).
    pub krate: Option<Path>,
    /// The namespace prefix of every command.
    pub namespace: Option<String>,
    /// The Python source to check against.
    pub source: Option<LitStr>,
    /// The trait's doc comment lines.
    pub docs: Vec<String>,
    /// Every method that parsed well enough to generate code for.
    pub methods: Vec<Method>,
}

/// One trait method, i.e. one command.
pub struct Method {
    /// The method's name.
    pub ident: Ident,
    /// The signature as emitted in the trait (desugared, attributes removed).
    pub sig: Signature,
    /// The method's `#[cfg]` attributes.
    pub cfgs: Vec<Attribute>,
    /// The method's doc comment lines.
    pub docs: Vec<String>,
    /// The command name without the namespace.
    pub name: String,
    /// Where the command name comes from (the `name = ".."` literal or the method name).
    pub name_span: Span,
    /// The full command name, namespace included.
    pub command: String,
    /// `#[pime(no_wait)]`.
    pub no_wait: bool,
    /// `#[pime(exclusive)]`.
    pub exclusive: bool,
    /// `#[pime(timeout = "..")]`, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// The arguments after `&self`.
    pub args: Vec<Arg>,
    /// `T` in the declared `pime::Result<T>`.
    pub output: Type,
    /// `T` when the result is `pime::PyStream<T>` (`pime::Value` for a bare
    /// `PyStream`): the method streams the items of the generator Python returns.
    pub stream_item: Option<Type>,
}

/// One argument, i.e. one keyword argument of the Python call.
pub struct Arg {
    /// The argument's name.
    pub ident: Ident,
    /// The argument's type as written.
    pub ty: Type,
    /// The Python keyword (the name, or `rename`).
    pub key: String,
    /// Where the key comes from.
    pub key_span: Span,
}

impl Method {
    /// Whether the method carries `#[cfg]` attributes.
    pub fn is_conditional(&self) -> bool {
        !self.cfgs.is_empty()
    }
}

/// The lines of the `///` doc comments among `attrs`.
pub fn doc_lines(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(lit),
                        ..
                    }),
                ..
            }) => Some(lit.value()),
            _ => None,
        })
        .flat_map(|doc| {
            // `split`, not `lines`: an empty `///` line is an empty paragraph break.
            doc.split('\n')
                .map(|line| line.trim_end_matches('\r').to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}
