//! The option tables of the three attributes, and what each one reads into:
//! `#[pime::python_module(client, namespace, crate, source)]` on the trait,
//! `#[pime(name, no_wait, exclusive, timeout)]` on a method, `#[pime(rename)]` on an
//! argument.

use proc_macro2::Span;
use syn::{Ident, LitStr, Path};

use crate::errors::Errors;
use crate::names;
use crate::option_table::{Kind, Messages, OptionSpec, Table};

/// The options of `#[pime::python_module(...)]`.
#[derive(Default)]
pub(crate) struct ModuleOptions {
    /// `client = Name`: the generated struct's name.
    pub(crate) client: Option<Ident>,
    /// `namespace = "greeter"`: prefix of every command (`"greeter.hello"`).
    pub(crate) namespace: Option<String>,
    /// `crate = path`: where the runtime crate is (default `::pime`).
    pub(crate) krate: Option<Path>,
    /// `source = "file.py"`: the Python module to check commands against.
    pub(crate) source: Option<LitStr>,
    /// `module = "app"` (host modules): the Python module name.
    pub(crate) module: Option<LitStr>,
    /// `host = Name` (host modules): the generated struct's name.
    pub(crate) host: Option<Ident>,
}

/// The table of [`ModuleOptions`].
pub(crate) static MODULE_OPTIONS: Table<ModuleOptions> = Table {
    options: &[
        OptionSpec {
            key: "client",
            kind: Kind::Ident(|options, ident| options.client = Some(ident)),
            usage: "client = Name",
            example: "client = GreeterClient",
            expects: "`client` takes the name of the struct to generate, without quotes: \
                      `client = GreeterClient`",
        },
        OptionSpec {
            key: "namespace",
            kind: Kind::Str(read_namespace),
            usage: "namespace = \"name\"",
            example: "namespace = \"greeter\"",
            expects: "`namespace` takes a string literal: `namespace = \"greeter\"`",
        },
        CRATE_OPTION,
        OptionSpec {
            key: "source",
            kind: Kind::Str(read_source),
            usage: "source = \"path/to/module.py\"",
            example: "source = \"path/to/module.py\"",
            expects: "`source` takes a string literal: `source = \"path/to/module.py\"` \
                      (relative to the crate's Cargo.toml)",
        },
    ],
    messages: MODULE_MESSAGES,
};

/// `crate = path`, on both attributes.
const CRATE_OPTION: OptionSpec<ModuleOptions> = OptionSpec {
    key: "crate",
    kind: Kind::Path(|options, path| options.krate = Some(path)),
    usage: "crate = path",
    example: "crate = ::my_pime",
    expects: "`crate` takes the path of the pime crate, without quotes: `crate = ::my_pime`",
};

/// How the attribute's own options are worded, for both attributes.
const MODULE_MESSAGES: Messages = Messages {
    valid: "valid options: {list}",
    unknown: "unknown option `{key}`; {valid}",
    duplicate: "option `{key}` is given twice; keep only one",
    unreadable: "{error}; {valid}",
    bare: None,
    missing_value: Some("option `{key}` needs a value: write `{example}`"),
};

/// The table of [`ModuleOptions`] for `#[pime::host_module(...)]`.
pub(crate) static HOST_MODULE_OPTIONS: Table<ModuleOptions> = Table {
    options: &[
        OptionSpec {
            key: "module",
            kind: Kind::Str(read_module),
            usage: "module = \"name\"",
            example: "module = \"app\"",
            expects: "`module` takes the Python module name as a string: `module = \"app\"`",
        },
        OptionSpec {
            key: "host",
            kind: Kind::Ident(|options, ident| options.host = Some(ident)),
            usage: "host = Name",
            example: "host = AppHost",
            expects: "`host` takes the name of the struct to generate, without quotes: \
                      `host = AppHost`",
        },
        CRATE_OPTION,
    ],
    messages: MODULE_MESSAGES,
};

/// A host module's name is what `import name` finds: one Python identifier.
fn read_module(options: &mut ModuleOptions, _key: &Ident, lit: &LitStr, errors: &mut Errors) {
    let module = lit.value();
    if let Err(problem) = names::check_command_name(&module) {
        errors.at(
            lit,
            format!(
                "invalid module name `{module}`: {problem}; write one Python identifier, \
                 such as `module = \"app\"`"
            ),
        );
    }
    // Kept even when invalid: the error above is the one to report.
    options.module = Some(lit.clone());
}

/// A namespace is one or more Python identifiers joined by dots; one that is not is
/// left out (the commands then have none), after the error.
fn read_namespace(options: &mut ModuleOptions, _key: &Ident, lit: &LitStr, errors: &mut Errors) {
    let namespace = lit.value();
    if namespace.is_empty() {
        errors.at(
            lit,
            "the namespace is empty: leave the option out, or write `namespace = \"greeter\"`",
        );
        return;
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
            return;
        }
    }
    options.namespace = Some(namespace);
}

fn read_source(options: &mut ModuleOptions, _key: &Ident, lit: &LitStr, errors: &mut Errors) {
    if lit.value().is_empty() {
        errors.at(
            lit,
            "the source path is empty: write `source = \"path/to/module.py\"` (relative to the crate's Cargo.toml)",
        );
        return;
    }
    options.source = Some(lit.clone());
}

/// The options of `#[pime(...)]` on a method. Each keeps the span of its key, so a
/// check can point at it.
#[derive(Default)]
pub(crate) struct MethodOptions {
    /// `name = "python_name"`: the command name, instead of the method's.
    pub(crate) name: Option<LitStr>,
    /// `no_wait`: fire and forget.
    pub(crate) no_wait: Option<Span>,
    /// `exclusive`: run inline on the engine's GIL thread.
    pub(crate) exclusive: Option<Span>,
    /// `timeout = "500ms"`.
    pub(crate) timeout: Option<Timeout>,
}

/// A `timeout = ".."` option.
pub(crate) struct Timeout {
    /// The deadline in milliseconds.
    pub(crate) ms: u64,
    /// The `timeout` key.
    pub(crate) span: Span,
}

/// The table of [`MethodOptions`].
pub(crate) static METHOD_OPTIONS: Table<MethodOptions> = Table {
    options: &[
        OptionSpec {
            key: "name",
            kind: Kind::Str(|options, _, lit, _| options.name = Some(lit.clone())),
            usage: "name = \"python_name\"",
            example: "name = \"python_name\"",
            expects: "`name` takes the Python command name as a string: `name = \"python_name\"`",
        },
        OptionSpec {
            key: "no_wait",
            kind: Kind::Flag(|options, key| options.no_wait = Some(key.span())),
            usage: "no_wait",
            example: "no_wait",
            expects: "`no_wait` is a flag and takes no value: write `#[pime(no_wait)]`",
        },
        OptionSpec {
            key: "exclusive",
            kind: Kind::Flag(|options, key| options.exclusive = Some(key.span())),
            usage: "exclusive",
            example: "exclusive",
            expects: "`exclusive` is a flag and takes no value: write `#[pime(exclusive)]`",
        },
        OptionSpec {
            key: "timeout",
            kind: Kind::Str(read_timeout),
            usage: "timeout = \"500ms\"",
            example: "timeout = \"500ms\"",
            expects:
                "`timeout` takes a duration string: `timeout = \"500ms\"`, `\"2s\"` or `\"1m\"`",
        },
    ],
    messages: Messages {
        valid: "valid method options: {list}",
        unknown: "unknown option `{key}`; {valid}",
        duplicate: "`{key}` is given twice; keep only one",
        unreadable: "{error}; {valid}",
        bare: Some("write the options in parentheses, such as #[pime(no_wait)]; {valid}"),
        missing_value: None,
    },
};

fn read_timeout(options: &mut MethodOptions, key: &Ident, lit: &LitStr, errors: &mut Errors) {
    match names::parse_timeout_ms(&lit.value()) {
        Ok(ms) => {
            options.timeout = Some(Timeout {
                ms,
                span: key.span(),
            })
        }
        Err(problem) => errors.at(lit, format!("invalid timeout: {problem}")),
    }
}

/// The table of [`MethodOptions`] for a host module's methods: only the name.
pub(crate) static HOST_METHOD_OPTIONS: Table<MethodOptions> = Table {
    options: &[OptionSpec {
        key: "name",
        kind: Kind::Str(|options, _, lit, _| options.name = Some(lit.clone())),
        usage: "name = \"python_name\"",
        example: "name = \"python_name\"",
        expects: "`name` takes the Python function name as a string: `name = \"python_name\"`",
    }],
    messages: Messages {
        valid: "the only host function option is {list}",
        unknown: "unknown option `{key}`; {valid}",
        duplicate: "`{key}` is given twice; keep only one",
        unreadable: "{error}; {valid}",
        bare: Some(
            "write the options in parentheses, such as #[pime(name = \"python_name\")]; {valid}",
        ),
        missing_value: None,
    },
};

/// The options of `#[pime(...)]` on an argument.
#[derive(Default)]
pub(crate) struct ArgOptions {
    /// `rename = "python_name"`: the Python keyword, instead of the argument's name.
    pub(crate) rename: Option<LitStr>,
}

/// The table of [`ArgOptions`].
pub(crate) static ARG_OPTIONS: Table<ArgOptions> = Table {
    options: &[OptionSpec {
        key: "rename",
        kind: Kind::Str(|options, _, lit, _| options.rename = Some(lit.clone())),
        usage: "rename = \"python_name\"",
        example: "rename = \"python_name\"",
        expects: "`rename` takes the Python parameter name as a string: `rename = \"python_name\"`",
    }],
    messages: Messages {
        valid: "the only one is {list}",
        unknown: "unknown argument option `{key}`; {valid}",
        duplicate: "`{key}` is given twice; keep only one",
        unreadable: "{error}; write #[pime(rename = \"python_name\")]",
        bare: None,
        missing_value: None,
    },
};
