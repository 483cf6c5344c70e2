//! The options of `#[pime::python_module(...)]`: `client`, `namespace`, `crate`, `source`.

use syn::{Expr, ExprPath, Ident, LitStr, Path};

use crate::attr_args::{AttrArg, AttrArgs};
use crate::errors::Errors;
use crate::names;

/// What the valid options look like, for error messages.
const VALID_OPTIONS: &str = "valid options: `client = Name`, `namespace = \"name\"`, \
`crate = path`, `source = \"path/to/module.py\"`";

/// The parsed module options.
#[derive(Default)]
pub struct Options {
    /// `client = Name`: the generated struct's name.
    pub client: Option<Ident>,
    /// `namespace = "greeter"`: prefix of every command (`"greeter.hello"`).
    pub namespace: Option<String>,
    /// `crate = path`: where the runtime crate is (default `::pime`).
    pub krate: Option<Path>,
    /// `source = "file.py"`: the Python module to check commands against.
    pub source: Option<LitStr>,
}

impl Options {
    /// Parses the attribute's arguments, recording every problem in `errors`.
    pub fn parse(args: proc_macro2::TokenStream, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let parsed = match syn::parse2::<AttrArgs>(args) {
            Ok(parsed) => parsed,
            Err(error) => {
                errors.push(syn::Error::new(
                    error.span(),
                    format!("{error}; {VALID_OPTIONS}"),
                ));
                return options;
            }
        };
        let mut seen: Vec<String> = Vec::new();
        for arg in &parsed.0 {
            let name = arg.name();
            if seen.contains(&name) {
                errors.at(
                    &arg.key,
                    format!("option `{name}` is given twice; keep only one"),
                );
                continue;
            }
            seen.push(name.clone());
            match name.as_str() {
                "client" => options.client = parse_client(arg, errors),
                "namespace" => options.namespace = parse_namespace(arg, errors),
                "crate" => options.krate = parse_crate(arg, errors),
                "source" => options.source = parse_source(arg, errors),
                _ => errors.at(
                    &arg.key,
                    format!("unknown option `{name}`; {VALID_OPTIONS}"),
                ),
            }
        }
        options
    }
}

fn missing_value(arg: &AttrArg, errors: &mut Errors, example: &str) {
    errors.at(
        &arg.key,
        format!("option `{}` needs a value: write `{example}`", arg.name()),
    );
}

fn parse_client(arg: &AttrArg, errors: &mut Errors) -> Option<Ident> {
    match &arg.value {
        Some(Expr::Path(ExprPath {
            qself: None,
            path,
            attrs,
        })) if attrs.is_empty() && path.get_ident().is_some() => path.get_ident().cloned(),
        Some(value) => {
            errors.at(
                value,
                "`client` takes the name of the struct to generate, without quotes: `client = GreeterClient`",
            );
            None
        }
        None => {
            missing_value(arg, errors, "client = GreeterClient");
            None
        }
    }
}

fn parse_namespace(arg: &AttrArg, errors: &mut Errors) -> Option<String> {
    let Some(lit) = arg.lit_str() else {
        match &arg.value {
            Some(value) => errors.at(
                value,
                "`namespace` takes a string literal: `namespace = \"greeter\"`",
            ),
            None => missing_value(arg, errors, "namespace = \"greeter\""),
        }
        return None;
    };
    let namespace = lit.value();
    if namespace.is_empty() {
        errors.at(
            lit,
            "the namespace is empty: leave the option out, or write `namespace = \"greeter\"`",
        );
        return None;
    }
    for segment in namespace.split('.') {
        if let Err(problem) = names::check_command_name(segment) {
            errors.at(
                lit,
                format!(
                    "invalid namespace `{namespace}`: {problem}; a namespace is one or more \
                     Python identifiers joined by dots, such as `greeter` or `plugins.greeter`"
                ),
            );
            return None;
        }
    }
    Some(namespace)
}

fn parse_crate(arg: &AttrArg, errors: &mut Errors) -> Option<Path> {
    match &arg.value {
        Some(Expr::Path(ExprPath {
            qself: None,
            path,
            attrs,
        })) if attrs.is_empty() => Some(path.clone()),
        Some(value) => {
            if let Some(lit) = arg.lit_str() {
                if let Ok(path) = lit.parse::<Path>() {
                    return Some(path);
                }
            }
            errors.at(
                value,
                "`crate` takes the path of the pime crate, without quotes: `crate = ::my_pime`",
            );
            None
        }
        None => {
            missing_value(arg, errors, "crate = ::my_pime");
            None
        }
    }
}

fn parse_source(arg: &AttrArg, errors: &mut Errors) -> Option<LitStr> {
    match arg.lit_str() {
        Some(lit) if !lit.value().is_empty() => Some(lit.clone()),
        Some(lit) => {
            errors.at(
                lit,
                "the source path is empty: write `source = \"path/to/module.py\"` (relative to the crate's Cargo.toml)",
            );
            None
        }
        None => {
            match &arg.value {
                Some(value) => errors.at(
                    value,
                    "`source` takes a string literal: `source = \"path/to/module.py\"` (relative to the crate's Cargo.toml)",
                ),
                None => missing_value(arg, errors, "source = \"path/to/module.py\""),
            }
            None
        }
    }
}
