//! The expansion: the trait as rewritten, the client struct with its constants, and
//! its implementation of the trait (a placeholder when there were errors); for a host
//! module, the host struct.

mod client;
mod host;
mod host_stub;
mod python_stub;
mod trait_rewrite;

use std::path::Path;

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{Method, Module};

/// The whole expansion. `methods` are the methods that passed the checks; with
/// `complete == false` (there were errors) the client gets a placeholder
/// implementation, so code using it shows no follow-on errors.
pub(crate) fn expand(
    module: &Module,
    methods: &[&Method],
    source: Option<&Path>,
    complete: bool,
) -> TokenStream {
    let item = trait_rewrite::rewrite_trait(&module.item);
    let client_struct = client::client_struct(module, methods);
    let implementation = if complete {
        client::trait_impl(module, methods)
    } else {
        client::placeholder_impl(module, &item)
    };
    let recompile = source.and_then(Path::to_str).map(|path| {
        quote! {
            // Recompile when the Python module changes.
            const _: &[u8] = ::core::include_bytes!(#path);
        }
    });
    quote! {
        #item
        #client_struct
        #implementation
        #recompile
    }
}

/// The expansion of a `#[host_module]` trait: the trait as rewritten and the host
/// struct. `complete` as for [`expand`].
pub(crate) fn expand_host(module: &Module, methods: &[&Method], complete: bool) -> TokenStream {
    let item = trait_rewrite::rewrite_trait(&module.item);
    let host = host::host(module, methods, complete);
    quote! {
        #item
        #host
    }
}
