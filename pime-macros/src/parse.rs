//! Reads the trait into a [`Module`], recording every misuse as a spanned error.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, GenericParam, Item, ItemTrait, Pat, PathArguments,
    ReturnType, Signature, TraitItem, TraitItemFn, Type,
};

use crate::attr_args::AttrArgs;
use crate::errors::Errors;
use crate::model::{doc_lines, Arg, Method, Module};
use crate::names;
use crate::options::Options;

/// The shape every method must have, for error messages.
const METHOD_SHAPE: &str = "async fn name(&self, arg: Type, ...) -> pime::Result<T>;";

/// The method options, for error messages.
const METHOD_OPTIONS: &str = "valid method options: `name = \"python_name\"`, `no_wait`, \
`exclusive`, `timeout = \"500ms\"`";

/// What parsing produced: a module to expand, or the input to give back unchanged.
pub enum Parsed {
    /// A trait (possibly with errors in `errors`).
    Module(Box<Module>),
    /// Not a trait at all: re-emit these tokens with the errors.
    NotATrait(TokenStream),
}

/// Parses the attribute arguments and the item.
pub fn parse(args: TokenStream, input: TokenStream, errors: &mut Errors) -> Parsed {
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Trait(item)) => item,
        Ok(other) => {
            errors.at(
                item_keyword(&other),
                format!(
                    "#[python_module] goes on a trait that declares the Python commands, \
                     such as `pub trait Greeter {{ {METHOD_SHAPE} }}`"
                ),
            );
            return Parsed::NotATrait(input);
        }
        Err(error) => {
            errors.push(error);
            return Parsed::NotATrait(input);
        }
    };
    let options = Options::parse(args, errors);
    Parsed::Module(Box::new(parse_trait(item, options, errors)))
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

fn parse_trait(mut item: ItemTrait, options: Options, errors: &mut Errors) -> Module {
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "a python_module trait cannot be generic: Python commands have one fixed signature; \
             remove the generic parameters and use concrete types",
        );
    }
    if let Some(where_clause) = &item.generics.where_clause {
        errors.at(
            where_clause,
            "a python_module trait cannot have a `where` clause; remove it",
        );
    }
    if let Some(unsafety) = &item.unsafety {
        errors.at(
            unsafety,
            "a python_module trait cannot be `unsafe`; remove `unsafe`",
        );
    }
    if let Some(auto) = &item.auto_token {
        errors.at(auto, "a python_module trait cannot be an `auto` trait");
    }
    for attr in item.attrs.iter().filter(|a| is_pime_attr(a)) {
        errors.at(
            attr,
            "module options go in the attribute itself: \
             #[pime::python_module(client = Name, namespace = \"...\", crate = path, source = \"file.py\")]",
        );
    }
    item.attrs.retain(|a| !is_pime_attr(a));

    let client = options
        .client
        .clone()
        .unwrap_or_else(|| format_ident!("{}Client", item.ident.unraw()));
    if client == item.ident {
        errors.at(
            &client,
            format!(
                "the client struct needs a name other than the trait's; for example `client = {}Client`",
                item.ident.unraw()
            ),
        );
    }

    if item.items.is_empty() {
        errors.at(
            &item.ident,
            format!(
                "trait `{}` declares no commands; add at least one method: `{METHOD_SHAPE}`",
                item.ident
            ),
        );
    }

    let mut methods = Vec::new();
    for trait_item in &mut item.items {
        match trait_item {
            TraitItem::Fn(function) => {
                if let Some(method) = parse_method(function, &options, errors) {
                    methods.push(method);
                }
            }
            TraitItem::Const(constant) => errors.at(
                constant,
                "a python_module trait holds only commands, so associated consts are not supported; \
                 move the const out of the trait",
            ),
            TraitItem::Type(ty) => errors.at(
                ty,
                "a python_module trait holds only commands, so associated types are not supported; \
                 use concrete types in the method signatures",
            ),
            other => errors.at(
                &*other,
                format!("a python_module trait holds only commands: `{METHOD_SHAPE}`"),
            ),
        }
    }

    let docs = doc_lines(&item.attrs);
    Module {
        item,
        client,
        krate: options.krate,
        namespace: options.namespace,
        source: options.source,
        docs,
        methods,
    }
}

/// Whether `attr` is `#[pime(...)]`.
fn is_pime_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("pime")
}

/// The `#[pime(...)]` options of one method.
#[derive(Default)]
struct MethodOptions {
    name: Option<syn::LitStr>,
    no_wait: Option<Span>,
    exclusive: Option<Span>,
    timeout: Option<(u64, Span)>,
}

fn parse_method_options(attrs: &[Attribute], errors: &mut Errors) -> MethodOptions {
    let mut options = MethodOptions::default();
    let mut seen: Vec<String> = Vec::new();
    for attr in attrs.iter().filter(|a| is_pime_attr(a)) {
        let args = match &attr.meta {
            syn::Meta::List(_) => match attr
                .parse_args_with(|input: syn::parse::ParseStream| input.parse::<AttrArgs>())
            {
                Ok(args) => args,
                Err(error) => {
                    errors.push(syn::Error::new(
                        error.span(),
                        format!("{error}; {METHOD_OPTIONS}"),
                    ));
                    continue;
                }
            },
            _ => {
                errors.at(
                    attr,
                    format!("write the options in parentheses, such as #[pime(no_wait)]; {METHOD_OPTIONS}"),
                );
                continue;
            }
        };
        for arg in args.0 {
            let key = arg.name();
            if seen.contains(&key) {
                errors.at(&arg.key, format!("`{key}` is given twice; keep only one"));
                continue;
            }
            seen.push(key.clone());
            let is_flag = matches!(key.as_str(), "no_wait" | "exclusive");
            if is_flag {
                if let Some(value) = &arg.value {
                    errors.at(
                        value,
                        format!("`{key}` is a flag and takes no value: write `#[pime({key})]`"),
                    );
                    continue;
                }
            }
            match key.as_str() {
                "name" => match arg.lit_str() {
                    Some(lit) => options.name = Some(lit.clone()),
                    None => errors.at(
                        arg.value.as_ref().map_or(arg.key.to_token_stream(), |v| v.to_token_stream()),
                        "`name` takes the Python command name as a string: `name = \"python_name\"`",
                    ),
                },
                "no_wait" => options.no_wait = Some(arg.key.span()),
                "exclusive" => options.exclusive = Some(arg.key.span()),
                "timeout" => match arg.lit_str() {
                    Some(lit) => match names::parse_timeout_ms(&lit.value()) {
                        Ok(ms) => options.timeout = Some((ms, arg.key.span())),
                        Err(problem) => errors.at(lit, format!("invalid timeout: {problem}")),
                    },
                    None => errors.at(
                        arg.value.as_ref().map_or(arg.key.to_token_stream(), |v| v.to_token_stream()),
                        "`timeout` takes a duration string: `timeout = \"500ms\"`, `\"2s\"` or `\"1m\"`",
                    ),
                },
                _ => errors.at(&arg.key, format!("unknown option `{key}`; {METHOD_OPTIONS}")),
            }
        }
    }
    options
}

/// Checks one method and rewrites it in place for the emitted trait; returns the
/// method when it is good enough to generate client code for.
fn parse_method(
    function: &mut TraitItemFn,
    module: &Options,
    errors: &mut Errors,
) -> Option<Method> {
    let before = errors.len();
    let options = parse_method_options(&function.attrs, errors);
    function.attrs.retain(|a| !is_pime_attr(a));
    let sig = &function.sig;

    if let Some(constness) = &sig.constness {
        errors.at(constness, format!("remove `const`: write `{METHOD_SHAPE}`"));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(unsafety, format!("remove `unsafe`: write `{METHOD_SHAPE}`"));
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, format!("remove the ABI: write `{METHOD_SHAPE}`"));
    }
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token,
            format!(
                "python_module methods are `async fn` (the macro makes their futures `Send`): write `{METHOD_SHAPE}`"
            ),
        );
    }
    if let Some(body) = &function.default {
        errors.at(
            body,
            "remove the default body and end the declaration with `;`: the generated client implements every method by calling Python",
        );
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            _ => errors.at(
                param,
                "python_module methods cannot be generic: each Python command has one signature; use concrete types",
            ),
        }
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.at(
            where_clause,
            "remove the `where` clause: python_module methods cannot be generic",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "python_module methods cannot be variadic");
    }

    check_receiver(sig, errors);
    let args = parse_args(&mut function.sig, errors);
    let sig = &function.sig;
    let krate = module
        .krate
        .as_ref()
        .and_then(|path| path.segments.last())
        .map_or_else(|| "pime".to_string(), |segment| segment.ident.to_string());
    let output = parse_output(sig, &krate, errors);
    let stream_item = output
        .as_ref()
        .and_then(|output| parse_stream_item(output, module, &krate, errors));

    let (name, name_span) = match &options.name {
        Some(lit) => (lit.value(), lit.span()),
        None => (sig.ident.unraw().to_string(), sig.ident.span()),
    };
    if let Err(problem) = names::check_command_name(&name) {
        let hint = if options.name.is_some() {
            "write a Python function name such as `name = \"say_hello\"`"
        } else {
            "rename the method, or give the Python name with #[pime(name = \"python_name\")]"
        };
        errors.at_span(
            name_span,
            format!("invalid command name: {problem}; {hint}"),
        );
    }
    if stream_item.is_some() {
        check_stream_options(&options, errors);
    } else if let (Some(_), Some(output)) = (options.no_wait, &output) {
        if !is_unit(output) {
            errors.at(
                output,
                "a `no_wait` method never receives the result: declare it `-> pime::Result<()>`, or remove `no_wait`",
            );
        }
        if let Some((_, timeout)) = options.timeout {
            errors.at_span(
                timeout,
                "`timeout` has no effect with `no_wait` (the call returns at once); remove one of them",
            );
        }
    }

    let desugared = desugar(&function.sig);
    if function.sig.asyncness.is_some() {
        function.sig = desugared.clone();
        if let Some(body) = &mut function.default {
            // Keep a (rejected) default body compiling, so only our error shows.
            let stmts = &body.stmts;
            *body = syn::parse_quote!({ async move { #(#stmts)* } });
        }
    }

    if errors.len() != before {
        return None;
    }
    let command = match &module.namespace {
        Some(namespace) => format!("{namespace}.{name}"),
        None => name.clone(),
    };
    let cfgs = function
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .cloned()
        .collect();
    Some(Method {
        ident: function.sig.ident.clone(),
        sig: desugared,
        cfgs,
        docs: doc_lines(&function.attrs),
        name,
        name_span,
        command,
        no_wait: options.no_wait.is_some(),
        exclusive: options.exclusive.is_some(),
        timeout_ms: options.timeout.map(|(ms, _)| ms),
        args,
        output: output?,
        stream_item,
    })
}

fn check_receiver(sig: &Signature, errors: &mut Errors) {
    let fix = "python_module methods take `&self` (the client is a stateless `Copy` handle)";
    match sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) => {
            if receiver.colon_token.is_some() || receiver.reference.is_none() {
                errors.at(receiver, format!("{fix}: write `&self`"));
            } else if let Some(mutability) = &receiver.mutability {
                errors.at(mutability, format!("{fix}: remove `mut`"));
            }
        }
        _ => errors.at_span(
            sig.paren_token.span.open(),
            format!("{fix}: add `&self` as the first argument"),
        ),
    }
}

fn parse_args(sig: &mut Signature, errors: &mut Errors) -> Vec<Arg> {
    let mut args = Vec::new();
    for input in sig.inputs.iter_mut() {
        let FnArg::Typed(typed) = input else { continue };
        let rename = parse_arg_options(&typed.attrs, errors);
        typed.attrs.retain(|a| !is_pime_attr(a));
        if let Some(impl_trait) = find_impl_trait(&typed.ty) {
            errors.at(
                impl_trait,
                "`impl Trait` arguments are not supported: use a concrete type such as `String` or `&str`",
            );
        }
        let ident = match &*typed.pat {
            Pat::Ident(pat)
                if pat.by_ref.is_none() && pat.mutability.is_none() && pat.subpat.is_none() =>
            {
                pat.ident.clone()
            }
            Pat::Wild(wild) => {
                errors.at(
                    wild,
                    "give the argument a name: it becomes the keyword argument the Python function receives",
                );
                continue;
            }
            other => {
                errors.at(
                    other,
                    "write a plain argument name such as `name: Type`: the name becomes the Python keyword argument",
                );
                // Emit `_` instead, so the compiler does not report the pattern again.
                *typed.pat = syn::parse_quote!(_);
                continue;
            }
        };
        let (key, key_span) = match &rename {
            Some(lit) => (lit.value(), lit.span()),
            None => (ident.unraw().to_string(), ident.span()),
        };
        if let Err(problem) = names::check_param_key(&key) {
            let hint = if rename.is_some() {
                "write a Python parameter name such as `rename = \"kind\"`"
            } else {
                "give the Python name with #[pime(rename = \"python_name\")]"
            };
            errors.at_span(
                key_span,
                format!("invalid Python parameter name: {problem}; {hint}"),
            );
        }
        args.push(Arg {
            ident,
            ty: (*typed.ty).clone(),
            key,
            key_span,
        });
    }
    args
}

fn parse_arg_options(attrs: &[Attribute], errors: &mut Errors) -> Option<syn::LitStr> {
    let mut rename = None;
    for attr in attrs.iter().filter(|a| is_pime_attr(a)) {
        let args = match attr.parse_args::<AttrArgs>() {
            Ok(args) => args,
            Err(error) => {
                errors.push(syn::Error::new(
                    error.span(),
                    format!("{error}; write #[pime(rename = \"python_name\")]"),
                ));
                continue;
            }
        };
        for arg in args.0 {
            match (arg.name().as_str(), arg.lit_str()) {
                ("rename", Some(lit)) if rename.is_none() => rename = Some(lit.clone()),
                ("rename", Some(_)) => errors.at(&arg.key, "`rename` is given twice; keep only one"),
                ("rename", None) => errors.at(
                    arg.value.as_ref().map_or(arg.key.to_token_stream(), |v| v.to_token_stream()),
                    "`rename` takes the Python parameter name as a string: `rename = \"python_name\"`",
                ),
                (other, _) => errors.at(
                    &arg.key,
                    format!("unknown argument option `{other}`; the only one is `rename = \"python_name\"`"),
                ),
            }
        }
    }
    rename
}

/// `T` of the declared `pime::Result<T>`, or an error.
fn parse_output(sig: &Signature, krate: &str, errors: &mut Errors) -> Option<Type> {
    let ty = match &sig.output {
        ReturnType::Default => {
            errors.at_span(
                sig.paren_token.span.close(),
                "add a return type: `-> pime::Result<T>` (`pime::Result<()>` when the command returns nothing)",
            );
            return None;
        }
        ReturnType::Type(_, ty) => ty,
    };
    match result_ok_type(ty, krate) {
        Some(inner) => {
            if let Some(impl_trait) = find_impl_trait(inner) {
                let message = if is_impl_stream(impl_trait) {
                    "`impl Stream` results are not supported: declare `-> pime::Result<pime::PyStream<T>>` \
                     to receive the items of the generator the Python command returns"
                } else {
                    "`impl Trait` results are not supported: use a concrete type that implements `serde::Deserialize`"
                };
                errors.at(impl_trait, message);
                return None;
            }
            Some(inner.clone())
        }
        None => {
            errors.at(
                ty,
                "the return type must be `pime::Result<T>` (`pime::Result<()>` when the command returns nothing): \
                 a Python call can always fail, and the error reaches the caller",
            );
            None
        }
    }
}

/// The stream options a streaming method cannot take.
fn check_stream_options(options: &MethodOptions, errors: &mut Errors) {
    if let Some(no_wait) = options.no_wait {
        errors.at_span(
            no_wait,
            "`no_wait` cannot go on a streaming method: a `no_wait` call never receives anything \
             from Python, but this method returns the generator's items as a `pime::PyStream`; \
             remove `no_wait`",
        );
    }
    if let Some((_, timeout)) = options.timeout {
        errors.at_span(
            timeout,
            "`timeout` cannot go on a streaming method: the method returns the stream as soon as \
             the task is queued, so there is no result to wait for; remove `timeout` and bound \
             the wait for each item with `tokio::time::timeout(duration, stream.next())` \
             (dropping the stream closes the generator)",
        );
    }
    if let Some(exclusive) = options.exclusive {
        errors.at_span(
            exclusive,
            "`exclusive` cannot go on a streaming method: the generator would run on the engine \
             thread and block every other command until the stream is read to the end; \
             remove `exclusive`",
        );
    }
}

/// The item type when `output` (the `T` of `pime::Result<T>`) is `PyStream<Item>` or
/// `pime::PyStream<Item>` (the last segment of the `crate = ..` path in place of
/// `pime`); `pime::Value` for a bare `PyStream`.
fn parse_stream_item(
    output: &Type,
    module: &Options,
    krate: &str,
    errors: &mut Errors,
) -> Option<Type> {
    let Type::Path(path) = output else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let segments: Vec<&syn::PathSegment> = path.path.segments.iter().collect();
    let last = match segments.as_slice() {
        [only] => *only,
        [.., parent, last] if parent.ident == krate => *last,
        _ => return None,
    };
    if last.ident != "PyStream" {
        return None;
    }
    let malformed = "`PyStream` takes one type argument, the type of the items: \
                     `pime::PyStream<T>` (a bare `pime::PyStream` streams `pime::Value`s)";
    match &last.arguments {
        PathArguments::None => {
            let span = last.ident.span();
            let item: Type = match &module.krate {
                Some(krate) => syn::parse_quote_spanned!(span=> #krate::Value),
                None => syn::parse_quote_spanned!(span=> ::pime::Value),
            };
            Some(item)
        }
        PathArguments::AngleBracketed(generics) => match generics.args.first() {
            Some(GenericArgument::Type(item)) if generics.args.len() == 1 => Some(item.clone()),
            _ => {
                errors.at(&last.arguments, malformed);
                None
            }
        },
        PathArguments::Parenthesized(arguments) => {
            errors.at(arguments, malformed);
            None
        }
    }
}

/// Whether `ty` is `impl Stream<..>` (under any path), maybe with other bounds.
fn is_impl_stream(ty: &Type) -> bool {
    let Type::ImplTrait(impl_trait) = ty else {
        return false;
    };
    impl_trait.bounds.iter().any(|bound| match bound {
        syn::TypeParamBound::Trait(bound) => bound
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Stream"),
        _ => false,
    })
}

/// `T` if `ty` is `Result<T>` or `Result<T, pime::Error>` under any path.
fn result_ok_type<'a>(ty: &'a Type, krate: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        return None;
    };
    let types: Vec<&Type> = generics
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    if types.len() != generics.args.len() {
        return None;
    }
    match types.as_slice() {
        [ok] => Some(ok),
        [ok, Type::Path(error)] if is_pime_error(&error.path, krate) => Some(ok),
        _ => None,
    }
}

/// Whether `path` names the runtime's error type: `Error` (imported), or `x::Error`
/// where `x` is `krate` (`pime`, or the last segment of the `crate = ..` path).
fn is_pime_error(path: &syn::Path, krate: &str) -> bool {
    let segments: Vec<&syn::PathSegment> = path.segments.iter().collect();
    let is_error =
        |segment: &syn::PathSegment| segment.ident == "Error" && segment.arguments.is_none();
    match segments.as_slice() {
        [only] => is_error(only),
        [.., parent, last] => is_error(last) && parent.ident == krate,
        [] => false,
    }
}

/// The first `impl Trait` inside `ty`.
fn find_impl_trait(ty: &Type) -> Option<&Type> {
    match ty {
        Type::ImplTrait(_) => Some(ty),
        Type::Reference(r) => find_impl_trait(&r.elem),
        Type::Slice(s) => find_impl_trait(&s.elem),
        Type::Array(a) => find_impl_trait(&a.elem),
        Type::Ptr(p) => find_impl_trait(&p.elem),
        Type::Paren(p) => find_impl_trait(&p.elem),
        Type::Group(g) => find_impl_trait(&g.elem),
        Type::Tuple(t) => t.elems.iter().find_map(find_impl_trait),
        Type::Path(p) => p
            .path
            .segments
            .iter()
            .find_map(|segment| match &segment.arguments {
                PathArguments::AngleBracketed(generics) => {
                    generics.args.iter().find_map(|arg| match arg {
                        GenericArgument::Type(ty) => find_impl_trait(ty),
                        _ => None,
                    })
                }
                _ => None,
            }),
        _ => None,
    }
}

/// Whether `ty` is `()`.
pub fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(paren) => is_unit(&paren.elem),
        _ => false,
    }
}

/// `async fn f(..) -> R` becomes `fn f(..) -> impl Future<Output = R> + Send`.
pub fn desugar(sig: &Signature) -> Signature {
    let mut sig = sig.clone();
    sig.asyncness = None;
    let (arrow, output, span) = match &sig.output {
        ReturnType::Default => (
            syn::token::RArrow::default(),
            quote!(()),
            sig.paren_token.span.close(),
        ),
        ReturnType::Type(arrow, ty) => (*arrow, ty.to_token_stream(), ty.span()),
    };
    let future: Type = syn::parse2(quote_spanned! {span=>
        impl ::core::future::Future<Output = #output> + ::core::marker::Send
    })
    .expect("a valid impl Future type");
    sig.output = ReturnType::Type(arrow, Box::new(future));
    sig
}
