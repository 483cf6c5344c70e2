//! Reads the attribute's arguments and the trait into a [`Module`]. Only an item that
//! is no trait stops it. What the option tables cannot read is kept on the part it
//! belongs to, for the check pass to report in source order; every rule is left to
//! that pass.

use proc_macro2::TokenStream;
use quote::{format_ident, ToTokens};
use syn::ext::IdentExt;
use syn::{
    FnArg, GenericArgument, Item, ItemTrait, Pat, PatType, Path, PathArguments, ReturnType,
    Signature, TraitItem, TraitItemFn, Type,
};

use crate::errors::Errors;
use crate::model::{self, doc_lines, Arg, Binding, Flavor, Keyword, Method, Module, Output};
use crate::options::{
    ARG_OPTIONS, HOST_METHOD_OPTIONS, HOST_MODULE_OPTIONS, METHOD_OPTIONS, MODULE_OPTIONS,
};
use crate::types;

/// What parsing produced: a module to check and expand, or the input to give back.
pub(crate) enum Parsed {
    /// A trait.
    Module(Box<Module>),
    /// Not a trait at all: re-emit these tokens with the error.
    NotATrait(TokenStream),
}

/// Parses the attribute arguments and the item.
pub(crate) fn parse(
    args: TokenStream,
    input: TokenStream,
    flavor: Flavor,
    errors: &mut Errors,
) -> Parsed {
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Trait(item)) => item,
        Ok(other) => {
            errors.at(
                item_keyword(&other),
                match flavor {
                    Flavor::Client => format!(
                        "#[python_module] goes on a trait that declares the Python commands, \
                         such as `pub trait Greeter {{ {} }}`",
                        flavor.method_shape()
                    ),
                    Flavor::Host => format!(
                        "#[host_module] goes on a trait that declares the functions Python may call, \
                         such as `pub trait App {{ {} }}`",
                        flavor.method_shape()
                    ),
                },
            );
            return Parsed::NotATrait(input);
        }
        Err(error) => {
            errors.push(error);
            return Parsed::NotATrait(input);
        }
    };
    Parsed::Module(Box::new(parse_trait(item, args, flavor)))
}

/// The token to blame when the attribute is on something that is not a trait.
fn item_keyword(item: &Item) -> TokenStream {
    match item {
        Item::Struct(i) => i.struct_token.to_token_stream(),
        Item::Enum(i) => i.enum_token.to_token_stream(),
        Item::Fn(i) => i.sig.fn_token.to_token_stream(),
        Item::Impl(i) => i.impl_token.to_token_stream(),
        Item::Mod(i) => i.mod_token.to_token_stream(),
        Item::Union(i) => i.union_token.to_token_stream(),
        Item::Type(i) => i.type_token.to_token_stream(),
        Item::Const(i) => i.const_token.to_token_stream(),
        Item::Static(i) => i.static_token.to_token_stream(),
        Item::Use(i) => i.use_token.to_token_stream(),
        Item::TraitAlias(i) => i.trait_token.to_token_stream(),
        other => other.to_token_stream(),
    }
}

fn parse_trait(item: ItemTrait, args: TokenStream, flavor: Flavor) -> Module {
    let mut option_errors = Errors::default();
    let (table, suffix) = match flavor {
        Flavor::Client => (&MODULE_OPTIONS, "Client"),
        Flavor::Host => (&HOST_MODULE_OPTIONS, "Host"),
    };
    let options = table.read_args(args, &mut option_errors);
    // The generated struct: `client = ..` / `host = ..`, or the trait's name + suffix.
    let client = options
        .client
        .clone()
        .or_else(|| options.host.clone())
        .unwrap_or_else(|| format_ident!("{}{suffix}", item.ident.unraw()));
    let context = MethodContext {
        flavor,
        namespace: options.namespace.as_deref(),
        krate: options.krate.as_ref(),
        krate_name: options
            .krate
            .as_ref()
            .and_then(|path| path.segments.last())
            .map_or_else(|| "pime".to_string(), |segment| segment.ident.to_string()),
    };
    let items = item
        .items
        .iter()
        .map(|trait_item| match trait_item {
            TraitItem::Fn(function) => {
                model::Item::Method(Box::new(parse_method(function, &context)))
            }
            other => model::Item::Other(Box::new(other.clone())),
        })
        .collect();
    Module {
        flavor,
        docs: doc_lines(&item.attrs),
        item,
        options,
        option_errors,
        client,
        items,
    }
}

/// What reading a method needs from the module options.
struct MethodContext<'a> {
    flavor: Flavor,
    /// `namespace = ".."`, prefixed to every command.
    namespace: Option<&'a str>,
    /// `crate = ..`.
    krate: Option<&'a Path>,
    /// The last segment of `crate = ..`, `pime` without it: what `pime::Result` and
    /// `pime::PyStream` are written under.
    krate_name: String,
}

fn parse_method(function: &TraitItemFn, context: &MethodContext<'_>) -> Method {
    let mut option_errors = Errors::default();
    let table = match context.flavor {
        Flavor::Client => &METHOD_OPTIONS,
        Flavor::Host => &HOST_METHOD_OPTIONS,
    };
    let options = table.read_attrs(&function.attrs, &mut option_errors);
    let sig = &function.sig;
    let (name, name_span) = match &options.name {
        Some(lit) => (lit.value(), lit.span()),
        None => (sig.ident.unraw().to_string(), sig.ident.span()),
    };
    let command = match context.namespace {
        Some(namespace) => format!("{namespace}.{name}"),
        None => name.clone(),
    };
    let args = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(parse_arg(typed)),
            FnArg::Receiver(_) => None,
        })
        .collect();
    Method {
        function: function.clone(),
        options,
        option_errors,
        cfgs: function
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .cloned()
            .collect(),
        docs: doc_lines(&function.attrs),
        name,
        name_span,
        command,
        args,
        output: parse_output(sig, context),
    }
}

fn parse_arg(typed: &PatType) -> Arg {
    let mut option_errors = Errors::default();
    let options = ARG_OPTIONS.read_attrs(&typed.attrs, &mut option_errors);
    let binding = match (model::plain_name(&typed.pat), &*typed.pat) {
        (Some(ident), _) => {
            let (key, key_span) = match &options.rename {
                Some(lit) => (lit.value(), lit.span()),
                None => (ident.unraw().to_string(), ident.span()),
            };
            Binding::Named(Keyword {
                ident: ident.clone(),
                key,
                key_span,
            })
        }
        (None, Pat::Wild(wild)) => Binding::Wild(wild.underscore_token),
        (None, other) => Binding::Pattern(other.clone()),
    };
    Arg {
        ty: (*typed.ty).clone(),
        binding,
        options,
        option_errors,
    }
}

/// Reads the declared return type: `pime::Result<T>`, maybe with `T` a `PyStream`.
fn parse_output(sig: &Signature, context: &MethodContext<'_>) -> Output {
    let ReturnType::Type(_, declared) = &sig.output else {
        return Output::Missing;
    };
    let Some(ty) = types::result_ok_type(declared, &context.krate_name) else {
        return Output::NotResult((**declared).clone());
    };
    if let Some(impl_trait) = types::find_impl_trait(ty) {
        return Output::ImplTrait(impl_trait.clone());
    }
    let Some(stream) = types::py_stream(ty, &context.krate_name) else {
        return Output::Value(ty.clone());
    };
    let malformed = || Output::MalformedStream {
        ty: ty.clone(),
        arguments: stream.arguments.clone(),
    };
    match &stream.arguments {
        PathArguments::None => {
            let span = stream.ident.span();
            let item: Type = match context.krate {
                Some(krate) => syn::parse_quote_spanned!(span=> #krate::Value),
                None => syn::parse_quote_spanned!(span=> ::pime::Value),
            };
            Output::Stream {
                ty: ty.clone(),
                item,
            }
        }
        PathArguments::AngleBracketed(generics) => match generics.args.first() {
            Some(GenericArgument::Type(item)) if generics.args.len() == 1 => Output::Stream {
                ty: ty.clone(),
                item: item.clone(),
            },
            _ => malformed(),
        },
        PathArguments::Parenthesized(_) => malformed(),
    }
}
