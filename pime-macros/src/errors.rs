//! The compile errors of one expansion: collected in a list in the order they are
//! found, and turned into `compile_error!`s once, at the end.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::fmt::Display;

/// The compile errors found so far, in the order they were found.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records `error`.
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// Records `message` spanned on `tokens` (the whole token range when the compiler
    /// can join it, the first token otherwise).
    pub(crate) fn at(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records `message` at `span`.
    pub(crate) fn at_span(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records, in order, the errors recorded in `other`.
    pub(crate) fn append(&mut self, other: &Errors) {
        self.errors.extend(other.errors.iter().cloned());
    }

    /// How many errors were recorded.
    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per recorded error, in order (nothing when there are none).
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        let mut errors = self.errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return TokenStream::new();
        };
        for error in errors {
            combined.combine(error);
        }
        combined.to_compile_error()
    }
}
