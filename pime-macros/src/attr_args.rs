//! The syntax of an option list, `key, key = value, ...`, inside
//! `#[pime::python_module(...)]` and `#[pime(...)]`.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

/// One `key` or `key = value` entry.
pub(crate) struct AttrArg {
    /// The key (keywords such as `crate` are allowed).
    pub(crate) key: Ident,
    /// The value after `=`, if any.
    pub(crate) value: Option<Expr>,
}

impl AttrArg {
    /// The key as written, without `r#`.
    pub(crate) fn name(&self) -> String {
        self.key.unraw().to_string()
    }

    /// The value if it is a string literal.
    pub(crate) fn lit_str(&self) -> Option<&LitStr> {
        match &self.value {
            Some(Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            })) => Some(lit),
            _ => None,
        }
    }
}

/// A comma-separated list of [`AttrArg`]s.
pub(crate) struct AttrArgs(pub(crate) Vec<AttrArg>);

impl Parse for AttrArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Vec::new();
        while !input.is_empty() {
            let key = input.call(Ident::parse_any).map_err(|e| {
                syn::Error::new(e.span(), "expected an option name such as `name = \"...\"`")
            })?;
            let value = if input.peek(Token![=]) {
                input.parse::<Token![=]>()?;
                Some(input.parse::<Expr>()?)
            } else {
                None
            };
            args.push(AttrArg { key, value });
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(AttrArgs(args))
    }
}
