//! The rules across methods: two methods sending one command, two arguments sending
//! one keyword, a method named like an item the macro generates on the client.

use syn::ext::IdentExt;

use crate::errors::Errors;
use crate::model::{Flavor, Method, Module};

/// Names the macro itself puts on the client struct (inherent or derived items).
const GENERATED_NAMES: &[&str] = &[
    "verify",
    "clone",
    "clone_from",
    "default",
    "COMMANDS",
    "PYTHON_STUB",
];

/// Checks `methods`, the module's methods that passed their own checks.
pub(crate) fn check_collisions(module: &Module, methods: &[&Method], errors: &mut Errors) {
    check_duplicate_commands(methods, module.flavor, errors);
    for method in methods {
        check_duplicate_keys(method, errors);
        // A host struct does not implement the trait: its own items cannot clash.
        if module.flavor == Flavor::Client {
            check_clash(module, method, errors);
        }
    }
}

/// Reported on both methods; methods under `#[cfg]` may share a command.
fn check_duplicate_commands(methods: &[&Method], flavor: Flavor, errors: &mut Errors) {
    for (i, first) in methods.iter().enumerate() {
        for second in &methods[i + 1..] {
            if first.command != second.command || first.is_conditional() || second.is_conditional()
            {
                continue;
            }
            for (this, other) in [(first, second), (second, first)] {
                let what = match flavor {
                    Flavor::Client => "command",
                    Flavor::Host => "Python function",
                };
                errors.at_span(
                    this.name_span,
                    format!(
                        "{what} `{}` is {} by both `{}` and `{}`; give one of them another name with #[pime(name = \"...\")]",
                        this.command,
                        if flavor == Flavor::Client { "sent" } else { "defined" },
                        this.ident().unraw(),
                        other.ident().unraw()
                    ),
                );
            }
        }
    }
}

/// Reported on both arguments.
fn check_duplicate_keys(method: &Method, errors: &mut Errors) {
    let keywords: Vec<_> = method.keywords().map(|(keyword, _)| keyword).collect();
    for (i, first) in keywords.iter().enumerate() {
        for second in &keywords[i + 1..] {
            if first.key != second.key {
                continue;
            }
            for (this, other) in [(first, second), (second, first)] {
                errors.at_span(
                    this.key_span,
                    format!(
                        "arguments `{}` and `{}` both send the Python keyword argument `{}`; rename one with #[pime(rename = \"...\")]",
                        this.ident.unraw(),
                        other.ident.unraw(),
                        this.key
                    ),
                );
            }
        }
    }
}

fn check_clash(module: &Module, method: &Method, errors: &mut Errors) {
    let name = method.ident().unraw().to_string();
    if GENERATED_NAMES.contains(&name.as_str()) {
        errors.at(
            method.ident(),
            format!(
                "method `{name}` clashes with `{}::{name}`, which the macro generates; rename the method \
                 and keep the Python command with #[pime(name = \"{}\")]",
                module.client, method.name
            ),
        );
    }
}
