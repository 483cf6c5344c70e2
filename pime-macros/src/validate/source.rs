//! The rules against the Python source file of `source = "..."`: every command has a
//! top-level function, which accepts each argument the method sends and gets each
//! parameter it requires.

use std::path::PathBuf;

use syn::ext::IdentExt;

use crate::errors::Errors;
use crate::model::{Method, Module};
use crate::names;
use crate::python_source::{self, ParamKind, PyFunction};
use crate::types::option_inner;

/// Reads the source file, if the module names one, and checks `methods` against it.
/// Returns the file's absolute path when it could be read.
pub(crate) fn check_source(
    module: &Module,
    methods: &[&Method],
    errors: &mut Errors,
) -> Option<PathBuf> {
    let lit = module.options.source.as_ref()?;
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
    for method in methods {
        check_method_against(
            &given,
            &functions,
            method,
            module.options.namespace.is_some(),
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
    // With a namespace, Python may register the full name or the bare one.
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
            method.ident(),
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
    for (keyword, _) in method.keywords() {
        if function.accepts(&keyword.key) {
            continue;
        }
        let positional_only = function
            .params
            .iter()
            .any(|p| p.name == keyword.key && p.kind == ParamKind::PositionalOnly);
        let message = if positional_only {
            format!(
                "`{}` is positional-only in Python {where_} (it comes before `/`), but commands are called with \
                 keyword arguments; move it after the `/` in Python",
                keyword.key
            )
        } else {
            // Suggest only names that no other argument sends already.
            let accepted: Vec<&str> = function
                .params
                .iter()
                .filter(|p| p.kind != ParamKind::PositionalOnly)
                .map(|p| p.name.as_str())
                .filter(|name| !method.keywords().any(|(other, _)| other.key == *name))
                .collect();
            let suggestion = names::did_you_mean(&keyword.key, accepted.iter().copied())
                .map(|close| format!("; did you mean #[pime(rename = \"{close}\")]?"))
                .unwrap_or_default();
            format!(
                "Python {where_} takes no argument `{}`; add it to the Python function or rename this one \
                 with #[pime(rename = \"...\")]{suggestion}",
                keyword.key
            )
        };
        errors.at_span(keyword.key_span, message);
    }
    for param in function.params.iter().filter(|p| !p.has_default) {
        match method.keywords().find(|(keyword, _)| keyword.key == param.name) {
            None => errors.at(
                method.ident(),
                format!(
                    "Python {where_} requires `{}`, which `{}` does not send; add an argument `{}: ...` \
                     or give the parameter a default in Python",
                    param.name,
                    method.ident().unraw(),
                    param.name
                ),
            ),
            Some((keyword, arg)) if option_inner(&arg.ty).is_some() => errors.at_span(
                keyword.key_span,
                format!(
                    "`{}` is an `Option`, left out of the call when it is `None`, but Python {where_} requires \
                     it; give it a default in Python (`{}=None`)",
                    keyword.key, param.name
                ),
            ),
            Some(_) => {}
        }
    }
}
