//! The trait as emitted: the `#[pime]` attributes removed and each `async fn` declared
//! `fn .. -> impl Future<Output = ..> + Send`, so the client's futures are `Send` and
//! an implementation can still use plain `async fn`s.

use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ItemTrait, Pat, ReturnType, Signature, TraitItem, TraitItemFn, Type};

use crate::model::plain_name;
use crate::option_table::is_option_attr;

/// `item` as the expansion emits it.
pub(crate) fn rewrite_trait(item: &ItemTrait) -> ItemTrait {
    let mut item = item.clone();
    item.attrs.retain(|a| !is_option_attr(a));
    for trait_item in &mut item.items {
        if let TraitItem::Fn(function) = trait_item {
            rewrite_method(function);
        }
    }
    item
}

fn rewrite_method(function: &mut TraitItemFn) {
    function.attrs.retain(|a| !is_option_attr(a));
    let is_async = function.sig.asyncness.is_some();
    function.sig = signature(&function.sig);
    if let (true, Some(body)) = (is_async, &mut function.default) {
        // Keep a (rejected) default body compiling, so only the macro's error shows.
        let stmts = &body.stmts;
        *body = syn::parse_quote!({ async move { #(#stmts)* } });
    }
}

/// A method's signature as emitted: argument attributes removed, patterns other than
/// a plain name or `_` replaced by `_` (the compiler would report them again), and
/// desugared when it is `async`.
pub(crate) fn signature(sig: &Signature) -> Signature {
    let mut sig = sig.clone();
    for input in &mut sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        typed.attrs.retain(|a| !is_option_attr(a));
        if plain_name(&typed.pat).is_none() && !matches!(*typed.pat, Pat::Wild(_)) {
            *typed.pat = syn::parse_quote!(_);
        }
    }
    if sig.asyncness.is_some() {
        desugar(&sig)
    } else {
        sig
    }
}

/// `async fn f(..) -> R` becomes `fn f(..) -> impl Future<Output = R> + Send`.
fn desugar(sig: &Signature) -> Signature {
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
