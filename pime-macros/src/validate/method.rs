//! The rules on one method: its signature, receiver, arguments, return type, command
//! name and the options that do not go together.

use syn::{FnArg, GenericParam, Signature, TraitItemFn};

use crate::errors::Errors;
use crate::model::{Arg, Binding, Flavor, Method, Output};
use crate::names;
use crate::types::{find_impl_trait, is_impl_stream, is_unit};

/// Checks one method, reporting what reading its options found wrong first. Returns
/// whether it had no errors, i.e. whether to generate client code for it.
pub(crate) fn check_method(method: &Method, flavor: Flavor, errors: &mut Errors) -> bool {
    let before = errors.len();
    errors.append(&method.option_errors);
    check_signature(&method.function, flavor, errors);
    check_receiver(&method.function.sig, flavor, errors);
    for arg in &method.args {
        check_arg(arg, flavor, errors);
    }
    check_output(method, flavor, errors);
    check_command_name(method, flavor, errors);
    match flavor {
        Flavor::Client if method.output.stream_item().is_some() => {
            check_stream_options(method, errors)
        }
        Flavor::Client => check_no_wait(method, errors),
        Flavor::Host => {}
    }
    errors.len() == before
}

/// Everything but `async fn name(..) -> ..;`: qualifiers, a body, generics.
fn check_signature(function: &TraitItemFn, flavor: Flavor, errors: &mut Errors) {
    let sig = &function.sig;
    let (attribute, shape) = (flavor.attribute(), flavor.method_shape());
    if let Some(constness) = &sig.constness {
        errors.at(constness, format!("remove `const`: write `{shape}`"));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(unsafety, format!("remove `unsafe`: write `{shape}`"));
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, format!("remove the ABI: write `{shape}`"));
    }
    if sig.asyncness.is_none() && flavor == Flavor::Client {
        errors.at(
            sig.fn_token,
            format!(
                "python_module methods are `async fn` (the macro makes their futures `Send`): write `{shape}`"
            ),
        );
    }
    if let Some(body) = &function.default {
        let why = match flavor {
            Flavor::Client => "the generated client implements every method by calling Python",
            Flavor::Host => {
                "your type implements every method (a default body would run without it)"
            }
        };
        errors.at(
            body,
            format!("remove the default body and end the declaration with `;`: {why}"),
        );
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            _ => errors.at(
                param,
                format!(
                    "{attribute} methods cannot be generic: each {} has one signature; use concrete types",
                    match flavor {
                        Flavor::Client => "Python command",
                        Flavor::Host => "host function",
                    }
                ),
            ),
        }
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.at(
            where_clause,
            format!("remove the `where` clause: {attribute} methods cannot be generic"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, format!("{attribute} methods cannot be variadic"));
    }
}

fn check_receiver(sig: &Signature, flavor: Flavor, errors: &mut Errors) {
    let fix = match flavor {
        Flavor::Client => {
            "python_module methods take `&self` (the client is a stateless `Copy` handle)"
        }
        Flavor::Host => {
            "host_module methods take `&self` (Python calls them from many threads at once)"
        }
    };
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

/// One argument, reporting what reading its options found wrong first.
fn check_arg(arg: &Arg, flavor: Flavor, errors: &mut Errors) {
    errors.append(&arg.option_errors);
    if let (Flavor::Host, syn::Type::Reference(reference)) = (flavor, &arg.ty) {
        errors.at(
            reference,
            "host function arguments are decoded from Python values, so they are owned: \
             take `String` instead of `&str`, `Vec<T>` instead of `&[T]`, `T` instead of `&T`",
        );
    }
    if let Some(impl_trait) = find_impl_trait(&arg.ty) {
        errors.at(
            impl_trait,
            "`impl Trait` arguments are not supported: use a concrete type such as `String` or `&str`",
        );
    }
    let keyword = match &arg.binding {
        Binding::Named(keyword) => keyword,
        Binding::Wild(wild) => {
            errors.at(
                wild,
                "give the argument a name: it becomes the keyword argument the Python function receives",
            );
            return;
        }
        Binding::Pattern(pattern) => {
            errors.at(
                pattern,
                "write a plain argument name such as `name: Type`: the name becomes the Python keyword argument",
            );
            return;
        }
    };
    if let Err(problem) = names::check_param_key(&keyword.key) {
        let hint = if arg.options.rename.is_some() {
            "write a Python parameter name such as `rename = \"kind\"`"
        } else {
            "give the Python name with #[pime(rename = \"python_name\")]"
        };
        errors.at_span(
            keyword.key_span,
            format!("invalid Python parameter name: {problem}; {hint}"),
        );
    }
}

/// The return type must be `pime::Result<T>`, with `T` a concrete type or a
/// well-formed `PyStream<Item>`.
fn check_output(method: &Method, flavor: Flavor, errors: &mut Errors) {
    if let (Flavor::Host, Output::Stream { ty, .. } | Output::MalformedStream { ty, .. }) =
        (flavor, &method.output)
    {
        errors.at(
            ty,
            "a host function returns one value to Python: return a `Vec<T>` instead of a stream",
        );
        return;
    }
    match &method.output {
        Output::Missing => errors.at_span(
            method.function.sig.paren_token.span.close(),
            "add a return type: `-> pime::Result<T>` (`pime::Result<()>` when the command returns nothing)",
        ),
        Output::NotResult(ty) => errors.at(
            ty,
            match flavor {
                Flavor::Client => "the return type must be `pime::Result<T>` (`pime::Result<()>` when the command returns nothing): \
                 a Python call can always fail, and the error reaches the caller",
                Flavor::Host => "the return type must be `pime::Result<T>` (`pime::Result<()>` when the function returns nothing): \
                 an `Err` raises `pime.HostError` in Python",
            },
        ),
        Output::ImplTrait(impl_trait) => {
            let message = if is_impl_stream(impl_trait) {
                "`impl Stream` results are not supported: declare `-> pime::Result<pime::PyStream<T>>` \
                 to receive the items of the generator the Python command returns"
            } else {
                "`impl Trait` results are not supported: use a concrete type that implements `serde::Deserialize`"
            };
            errors.at(impl_trait, message);
        }
        Output::MalformedStream { arguments, .. } => errors.at(
            arguments,
            "`PyStream` takes one type argument, the type of the items: \
             `pime::PyStream<T>` (a bare `pime::PyStream` streams `pime::Value`s)",
        ),
        Output::Value(_) | Output::Stream { .. } => {}
    }
}

/// The command name must be one Python can define and `pime.Broker` dispatches.
fn check_command_name(method: &Method, flavor: Flavor, errors: &mut Errors) {
    if flavor == Flavor::Host && method.name == "aio" {
        errors.at_span(
            method.name_span,
            "`aio` is the namespace of the awaitable forms (`app.aio.name(..)`); \
             give the function another name with #[pime(name = \"python_name\")]",
        );
        return;
    }
    if flavor == Flavor::Host && method.name.starts_with('_') {
        errors.at_span(
            method.name_span,
            "a host function name may not start with `_` (Python treats such names as private); \
             rename the method, or give the Python name with #[pime(name = \"python_name\")]",
        );
        return;
    }
    if let Err(problem) = names::check_command_name(&method.name) {
        let hint = if method.options.name.is_some() {
            "write a Python function name such as `name = \"say_hello\"`"
        } else {
            "rename the method, or give the Python name with #[pime(name = \"python_name\")]"
        };
        errors.at_span(
            method.name_span,
            format!(
                "invalid {}: {problem}; {hint}",
                match flavor {
                    Flavor::Client => "command name",
                    Flavor::Host => "host function name",
                }
            ),
        );
    }
}

/// The call options a streaming method cannot take.
fn check_stream_options(method: &Method, errors: &mut Errors) {
    let options = &method.options;
    if let Some(no_wait) = options.no_wait {
        errors.at_span(
            no_wait,
            "`no_wait` cannot go on a streaming method: a `no_wait` call never receives anything \
             from Python, but this method returns the generator's items as a `pime::PyStream`; \
             remove `no_wait`",
        );
    }
    if let Some(timeout) = &options.timeout {
        errors.at_span(
            timeout.span,
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

/// A `no_wait` method never sees a result: it returns `()` and has no deadline.
fn check_no_wait(method: &Method, errors: &mut Errors) {
    let (Some(_), Some(output)) = (method.options.no_wait, method.output.ok_type()) else {
        return;
    };
    if !is_unit(output) {
        errors.at(
            output,
            "a `no_wait` method never receives the result: declare it `-> pime::Result<()>`, or remove `no_wait`",
        );
    }
    if let Some(timeout) = &method.options.timeout {
        errors.at_span(
            timeout.span,
            "`timeout` has no effect with `no_wait` (the call returns at once); remove one of them",
        );
    }
}
