//! The model of a `#[python_module]` trait as parsing reads it: the module, its
//! methods and their arguments. Each part keeps the syntax it was read from, so the
//! checks can point at the right token, and what reading its options found wrong.

use proc_macro2::Span;
use syn::{Attribute, Ident, ItemTrait, Pat, PathArguments, TraitItem, TraitItemFn, Type};

use crate::errors::Errors;
use crate::options::{ArgOptions, MethodOptions, ModuleOptions};

/// Which attribute the trait carries: the two share parsing, checks and wording.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `#[pime::python_module]`: Rust calls Python.
    Client,
    /// `#[pime::host_module]`: Python calls Rust.
    Host,
}

impl Flavor {
    /// The attribute's name, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Flavor::Client => "python_module",
            Flavor::Host => "host_module",
        }
    }

    /// The shape every method must have, for messages.
    pub(crate) fn method_shape(self) -> &'static str {
        match self {
            Flavor::Client => "async fn name(&self, arg: Type, ...) -> pime::Result<T>;",
            Flavor::Host => {
                "async fn name(&self, arg: Type, ...) -> pime::Result<T>; (or a plain `fn`)"
            }
        }
    }

    /// What a method is, for messages: a command of Python, or a function of the host.
    pub(crate) fn methods_are(self) -> &'static str {
        match self {
            Flavor::Client => "commands",
            Flavor::Host => "host functions",
        }
    }
}

/// The whole `#[python_module]` trait.
pub(crate) struct Module {
    /// Which attribute it carries.
    pub(crate) flavor: Flavor,
    /// The trait as written.
    pub(crate) item: ItemTrait,
    /// The options of the attribute.
    pub(crate) options: ModuleOptions,
    /// What reading the attribute's options found wrong.
    pub(crate) option_errors: Errors,
    /// The generated struct's name: the client (`client = ..`, or the trait's name +
    /// `Client`), or the host (`host = ..`, or the trait's name + `Host`).
    pub(crate) client: Ident,
    /// The trait's doc comment lines.
    pub(crate) docs: Vec<String>,
    /// The trait's items, in order.
    pub(crate) items: Vec<Item>,
}

/// One item of the trait.
pub(crate) enum Item {
    /// A `fn`: one command.
    Method(Box<Method>),
    /// Anything else (a const, a type, a macro): not allowed.
    Other(Box<TraitItem>),
}

/// One trait method, i.e. one command.
pub(crate) struct Method {
    /// The method as written, `#[pime]` attributes included.
    pub(crate) function: TraitItemFn,
    /// The `#[pime(...)]` options.
    pub(crate) options: MethodOptions,
    /// What reading the options found wrong.
    pub(crate) option_errors: Errors,
    /// The method's `#[cfg]` attributes.
    pub(crate) cfgs: Vec<Attribute>,
    /// The method's doc comment lines.
    pub(crate) docs: Vec<String>,
    /// The command name without the namespace.
    pub(crate) name: String,
    /// Where the command name comes from (the `name = ".."` literal or the method name).
    pub(crate) name_span: Span,
    /// The full command name, namespace included.
    pub(crate) command: String,
    /// The arguments after the receiver.
    pub(crate) args: Vec<Arg>,
    /// What the method returns.
    pub(crate) output: Output,
}

/// What a method declares it returns.
pub(crate) enum Output {
    /// No return type.
    Missing,
    /// A type that is not `pime::Result<T>`.
    NotResult(Type),
    /// `pime::Result<T>` with an `impl Trait` (this one) inside `T`.
    ImplTrait(Type),
    /// `pime::Result<T>`: one result of type `T`.
    Value(Type),
    /// `pime::Result<T>` with `T` = `PyStream<Item>` (`pime::Value` for a bare
    /// `PyStream`): the method streams the items of the generator Python returns.
    Stream {
        /// `T`.
        ty: Type,
        /// `Item`.
        item: Type,
    },
    /// `pime::Result<T>` with `T` = `PyStream` given other arguments than one type.
    MalformedStream {
        /// `T`.
        ty: Type,
        /// The arguments after `PyStream`.
        arguments: PathArguments,
    },
}

impl Output {
    /// `T` in the declared `pime::Result<T>`, if it is one.
    pub(crate) fn ok_type(&self) -> Option<&Type> {
        match self {
            Output::Value(ty) | Output::Stream { ty, .. } | Output::MalformedStream { ty, .. } => {
                Some(ty)
            }
            Output::Missing | Output::NotResult(_) | Output::ImplTrait(_) => None,
        }
    }

    /// The item type of a streaming method.
    pub(crate) fn stream_item(&self) -> Option<&Type> {
        match self {
            Output::Stream { item, .. } => Some(item),
            _ => None,
        }
    }
}

/// One argument after the receiver, i.e. one keyword argument of the Python call.
pub(crate) struct Arg {
    /// The argument's type as written.
    pub(crate) ty: Type,
    /// What the pattern before `:` is.
    pub(crate) binding: Binding,
    /// The `#[pime(...)]` options.
    pub(crate) options: ArgOptions,
    /// What reading the options found wrong.
    pub(crate) option_errors: Errors,
}

/// The pattern of an argument.
pub(crate) enum Binding {
    /// A plain name: the argument sends this keyword.
    Named(Keyword),
    /// `_`.
    Wild(syn::token::Underscore),
    /// Any other pattern (`(a, b)`, `mut a`, `ref a`).
    Pattern(Pat),
}

/// The keyword argument a named argument sends.
pub(crate) struct Keyword {
    /// The argument's name.
    pub(crate) ident: Ident,
    /// The Python keyword (the name without `r#`, or `rename`).
    pub(crate) key: String,
    /// Where the key comes from.
    pub(crate) key_span: Span,
}

impl Method {
    /// The method's name.
    pub(crate) fn ident(&self) -> &Ident {
        &self.function.sig.ident
    }

    /// Whether the method carries `#[cfg]` attributes.
    pub(crate) fn is_conditional(&self) -> bool {
        !self.cfgs.is_empty()
    }

    /// The named arguments with their keywords (every argument, in a method that
    /// passed the checks).
    pub(crate) fn keywords(&self) -> impl Iterator<Item = (&Keyword, &Arg)> {
        self.args
            .iter()
            .filter_map(|arg| arg.keyword().map(|keyword| (keyword, arg)))
    }
}

impl Arg {
    /// The keyword, when the argument has a plain name.
    pub(crate) fn keyword(&self) -> Option<&Keyword> {
        match &self.binding {
            Binding::Named(keyword) => Some(keyword),
            Binding::Wild(_) | Binding::Pattern(_) => None,
        }
    }
}

/// The name in `pat` when it is a plain `name` (no `ref`, `mut` or `@` pattern).
pub(crate) fn plain_name(pat: &Pat) -> Option<&Ident> {
    match pat {
        Pat::Ident(pat)
            if pat.by_ref.is_none() && pat.mutability.is_none() && pat.subpat.is_none() =>
        {
            Some(&pat.ident)
        }
        _ => None,
    }
}

/// The lines of the `///` doc comments among `attrs`.
pub(crate) fn doc_lines(attrs: &[Attribute]) -> Vec<String> {
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
