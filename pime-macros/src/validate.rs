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
use crate::model::{Flavor, Item, Method, Module};
use crate::names;
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
                if check_method(method, module.flavor, errors) {
                    methods.push(&**method);
                }
            }
            Item::Other(other) => check_other_item(other, module.flavor, errors),
        }
    }
    collisions::check_collisions(module, &methods, errors);
    let source = match module.flavor {
        Flavor::Client => source::check_source(module, &methods, errors),
        Flavor::Host => None,
    };
    Checked { methods, source }
}

/// The rules on the trait itself.
fn check_trait(module: &Module, errors: &mut Errors) {
    let item = &module.item;
    let attribute = module.flavor.attribute();
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            format!(
                "a {attribute} trait cannot be generic: Python {} have one fixed signature; \
                 remove the generic parameters and use concrete types",
                module.flavor.methods_are()
            ),
        );
    }
    if let Some(where_clause) = &item.generics.where_clause {
        errors.at(
            where_clause,
            format!("a {attribute} trait cannot have a `where` clause; remove it"),
        );
    }
    if let Some(unsafety) = &item.unsafety {
        errors.at(
            unsafety,
            format!("a {attribute} trait cannot be `unsafe`; remove `unsafe`"),
        );
    }
    if let Some(auto) = &item.auto_token {
        errors.at(
            auto,
            format!("a {attribute} trait cannot be an `auto` trait"),
        );
    }
    for attr in item.attrs.iter().filter(|a| is_option_attr(a)) {
        let usage = match module.flavor {
            Flavor::Client => "#[pime::python_module(client = Name, namespace = \"...\", crate = path, source = \"file.py\")]",
            Flavor::Host => "#[pime::host_module(module = \"name\", host = Name, crate = path)]",
        };
        errors.at(
            attr,
            format!("module options go in the attribute itself: {usage}"),
        );
    }
    if module.client == item.ident {
        let (what, option) = match module.flavor {
            Flavor::Client => ("client", "Client"),
            Flavor::Host => ("host", "Host"),
        };
        errors.at(
            &module.client,
            format!(
                "the {what} struct needs a name other than the trait's; for example `{what} = {}{option}`",
                item.ident.unraw()
            ),
        );
    }
    if module.flavor == Flavor::Host && module.options.module.is_none() {
        errors.at(
            &item.ident,
            format!(
                "a host module needs the name Python imports it by: \
                 #[pime::host_module(module = \"{}\")]",
                names::snake_case(&item.ident.unraw().to_string())
            ),
        );
    }
    if item.items.is_empty() {
        errors.at(
            &item.ident,
            format!(
                "trait `{}` declares no {}; add at least one method: `{}`",
                item.ident,
                module.flavor.methods_are(),
                module.flavor.method_shape()
            ),
        );
    }
}

/// A trait item other than a method.
fn check_other_item(item: &TraitItem, flavor: Flavor, errors: &mut Errors) {
    let (attribute, methods) = (flavor.attribute(), flavor.methods_are());
    match item {
        TraitItem::Const(constant) => errors.at(
            constant,
            format!(
                "a {attribute} trait holds only {methods}, so associated consts are not supported; \
                 move the const out of the trait"
            ),
        ),
        TraitItem::Type(ty) => errors.at(
            ty,
            format!(
                "a {attribute} trait holds only {methods}, so associated types are not supported; \
                 use concrete types in the method signatures"
            ),
        ),
        other => errors.at(
            other,
            format!(
                "a {attribute} trait holds only {methods}: `{}`",
                flavor.method_shape()
            ),
        ),
    }
}
