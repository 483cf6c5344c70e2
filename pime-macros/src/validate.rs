//! Checks that need the whole module: duplicate commands and keys, clashes with
//! generated items, and the Python source file.

use std::path::PathBuf;

use syn::ext::IdentExt;

use crate::errors::Errors;
use crate::model::{Method, Module};
use crate::names;
use crate::python_source::{self, ParamKind, PyFunction};
use crate::stub;

/// Names the macro itself puts on the client struct (inherent or derived items).
const GENERATED_NAMES: &[&str] = &[
    "verify",
    "clone",
    "clone_from",
    "default",
    "COMMANDS",
    "PYTHON_STUB",
];

/// Runs every whole-module check. Returns the absolute path of the Python source
/// file when there is one that could be read (so the caller can make the crate
/// recompile when it changes).
pub fn check_module(module: &Module, errors: &mut Errors) -> Option<PathBuf> {
    check_duplicate_commands(&module.methods, errors);
    for method in &module.methods {
        check_duplicate_keys(method, errors);
        check_clash(module, method, errors);
    }
    check_source(module, errors)
}

fn check_duplicate_commands(methods: &[Method], errors: &mut Errors) {
    for (i, first) in methods.iter().enumerate() {
        for second in &methods[i + 1..] {
            if first.command != second.command || first.is_conditional() || second.is_conditional()
            {
                continue;
            }
            for (this, other) in [(first, second), (second, first)] {
                errors.at_span(
                    this.name_span,
                    format!(
                        "command `{}` is sent by both `{}` and `{}`; give one of them another name with #[pime(name = \"...\")]",
                        this.command,
                        this.ident.unraw(),
                        other.ident.unraw()
                    ),
                );
            }
        }
    }
}

fn check_duplicate_keys(method: &Method, errors: &mut Errors) {
    for (i, first) in method.args.iter().enumerate() {
        for second in &method.args[i + 1..] {
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
    let name = method.ident.unraw().to_string();
    if GENERATED_NAMES.contains(&name.as_str()) {
        errors.at(
            &method.ident,
            format!(
                "method `{name}` clashes with `{}::{name}`, which the macro generates; rename the method \
                 and keep the Python command with #[pime(name = \"{}\")]",
                module.client, method.name
            ),
        );
    }
}

fn check_source(module: &Module, errors: &mut Errors) -> Option<PathBuf> {
    let lit = module.source.as_ref()?;
    let given = lit.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let path = base.join(&given);
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) => {
            errors.at(
                lit,
                format!(
                    "cannot read the Python source `{given}`: {error}; the path is relative to the \
                     directory of the crate's Cargo.toml (CARGO_MANIFEST_DIR)"
                ),
            );
            return None;
        }
    };
    let functions = python_source::scan(&text);
    for method in &module.methods {
        check_method_against(
            &given,
            &functions,
            method,
            module.namespace.is_some(),
            errors,
        );
    }
    Some(path)
}

fn check_method_against(
    file: &str,
    functions: &[PyFunction],
    method: &Method,
    namespaced: bool,
    errors: &mut Errors,
) {
    let found = functions
        .iter()
        .find(|f| f.command_names().contains(&method.command.as_str()))
        .or_else(|| {
            namespaced
                .then(|| {
                    functions
                        .iter()
                        .find(|f| f.command_names().contains(&method.name.as_str()))
                })
                .flatten()
        });
    let Some(function) = found else {
        let suggestion = names::did_you_mean(
            &method.name,
            functions.iter().flat_map(PyFunction::command_names),
        )
        .map(|close| format!("; did you mean `{close}`?"))
        .unwrap_or_default();
        errors.at(
            &method.ident,
            format!(
                "`{file}` has no top-level function for command `{}`: add `def {}(...)` to it, or fix the \
                 command name with #[pime(name = \"...\")]{suggestion}",
                method.command, method.name
            ),
        );
        return;
    };
    let where_ = format!(
        "`{}` ({file}, line {})",
        function.signature(),
        function.line
    );
    for arg in &method.args {
        if function.accepts(&arg.key) {
            continue;
        }
        let positional_only = function
            .params
            .iter()
            .any(|p| p.name == arg.key && p.kind == ParamKind::PositionalOnly);
        let message = if positional_only {
            format!(
                "`{}` is positional-only in Python {where_} (it comes before `/`), but commands are called with \
                 keyword arguments; move it after the `/` in Python",
                arg.key
            )
        } else {
            // Suggest only names that no other argument sends already.
            let accepted: Vec<&str> = function
                .params
                .iter()
                .filter(|p| p.kind != ParamKind::PositionalOnly)
                .map(|p| p.name.as_str())
                .filter(|name| !method.args.iter().any(|a| a.key == *name))
                .collect();
            let suggestion = names::did_you_mean(&arg.key, accepted.iter().copied())
                .map(|close| format!("; did you mean #[pime(rename = \"{close}\")]?"))
                .unwrap_or_default();
            format!(
                "Python {where_} takes no argument `{}`; add it to the Python function or rename this one \
                 with #[pime(rename = \"...\")]{suggestion}",
                arg.key
            )
        };
        errors.at_span(arg.key_span, message);
    }
    for param in function.params.iter().filter(|p| !p.has_default) {
        match method.args.iter().find(|arg| arg.key == param.name) {
            None => errors.at(
                &method.ident,
                format!(
                    "Python {where_} requires `{}`, which `{}` does not send; add an argument `{}: ...` \
                     or give the parameter a default in Python",
                    param.name,
                    method.ident.unraw(),
                    param.name
                ),
            ),
            Some(arg) if stub::option_inner(&arg.ty).is_some() => errors.at_span(
                arg.key_span,
                format!(
                    "`{}` is an `Option`, left out of the call when it is `None`, but Python {where_} requires \
                     it; give it a default in Python (`{}=None`)",
                    arg.key, param.name
                ),
            ),
            Some(_) => {}
        }
    }
}
