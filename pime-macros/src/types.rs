//! Shape helpers for Rust types as written: `()`, `Option<T>`, `Result<T>`,
//! `PyStream<T>`, `impl Trait`. They look at the syntax only; the macro cannot
//! resolve names.

use syn::{GenericArgument, PathArguments, PathSegment, Type};

/// Whether `ty` is `()`.
pub(crate) fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(paren) => is_unit(&paren.elem),
        _ => false,
    }
}

/// `T` if `ty` is `Option<T>` (under any path).
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Paren(p) => option_inner(&p.elem),
        Type::Group(g) => option_inner(&g.elem),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            if last.ident != "Option" {
                return None;
            }
            match type_args(&last.arguments).as_slice() {
                [inner] => Some(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The type arguments among `<..>` arguments (lifetimes and bindings left out).
pub(crate) fn type_args(arguments: &PathArguments) -> Vec<&Type> {
    match arguments {
        PathArguments::AngleBracketed(generics) => generics
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `T` if `ty` is `Result<T>` or `Result<T, pime::Error>` under any path, `pime`
/// being `krate` (`pime`, or the last segment of the `crate = ..` path).
pub(crate) fn result_ok_type<'a>(ty: &'a Type, krate: &str) -> Option<&'a Type> {
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
/// where `x` is `krate`.
fn is_pime_error(path: &syn::Path, krate: &str) -> bool {
    let segments: Vec<&PathSegment> = path.segments.iter().collect();
    let is_error = |segment: &PathSegment| segment.ident == "Error" && segment.arguments.is_none();
    match segments.as_slice() {
        [only] => is_error(only),
        [.., parent, last] => is_error(last) && parent.ident == krate,
        [] => false,
    }
}

/// The `PyStream` segment, with its arguments, when `ty` is `PyStream..` or
/// `krate::PyStream..`.
pub(crate) fn py_stream<'a>(ty: &'a Type, krate: &str) -> Option<&'a PathSegment> {
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let segments: Vec<&PathSegment> = path.path.segments.iter().collect();
    let last = match segments.as_slice() {
        [only] => *only,
        [.., parent, last] if parent.ident == krate => *last,
        _ => return None,
    };
    (last.ident == "PyStream").then_some(last)
}

/// The first `impl Trait` inside `ty`.
pub(crate) fn find_impl_trait(ty: &Type) -> Option<&Type> {
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

/// Whether `ty` is `impl Stream<..>` (under any path), maybe with other bounds.
pub(crate) fn is_impl_stream(ty: &Type) -> bool {
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
