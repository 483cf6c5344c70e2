//! The check pass: every rule a `#[python_module]` trait must follow, run over the
//! parsed model. Errors come in source order: the attribute's options, the trait,
//! each item in turn (its own options first), then the rules across methods and the
//! Python source file.

mod collisions;
mod method;
mod source;

use std::path::PathBuf;

use syn::ext::IdentExt;
use syn::TraitItem;

use crate::errors::Errors;
use crate::model::{Item, Method, Module, METHOD_SHAPE};
use crate::option_table::is_option_attr;

use method::check_method;

/// What the checks let through.
pub(crate) struct Checked<'m> {
    /// The methods without errors of their own, in order: the ones to generate client
    /// code for. The rules across methods run on these only.
    pub(crate) methods: Vec<&'m Method>,
    /// The absolute path of the Python source file, when there is one that could be
    /// read (so the expansion can make the crate recompile when it changes).
    pub(crate) source: Option<PathBuf>,
}

/// Runs every check on `module`.
pub(crate) fn check_module<'m>(module: &'m Module, errors: &mut Errors) -> Checked<'m> {
    errors.append(&module.option_errors);
    check_trait(module, errors);
    let mut methods = Vec::new();
    for item in &module.items {
        match item {
            Item::Method(method) => {
                if check_method(method, errors) {
                    methods.push(&**method);
                }
            }
            Item::Other(other) => check_other_item(other, errors),
        }
    }
    collisions::check_collisions(module, &methods, errors);
    let source = source::check_source(module, &methods, errors);
    Checked { methods, source }
}

/// The rules on the trait itself.
fn check_trait(module: &Module, errors: &mut Errors) {
    let item = &module.item;
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
    for attr in item.attrs.iter().filter(|a| is_option_attr(a)) {
        errors.at(
            attr,
            "module options go in the attribute itself: \
             #[pime::python_module(client = Name, namespace = \"...\", crate = path, source = \"file.py\")]",
        );
    }
    if module.client == item.ident {
        errors.at(
            &module.client,
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
}

/// A trait item other than a method.
fn check_other_item(item: &TraitItem, errors: &mut Errors) {
    match item {
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
            other,
            format!("a python_module trait holds only commands: `{METHOD_SHAPE}`"),
        ),
    }
}
