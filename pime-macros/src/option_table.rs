//! The option-table mechanism: an attribute declares the options it takes once, in a
//! [`Table`], and one loop reads `key` / `key = value` lists against it. Unknown keys,
//! duplicates, missing values and values of the wrong kind are reported the same way
//! for every attribute, each with its own wording.

use proc_macro2::TokenStream;
use syn::{Attribute, Expr, ExprLit, ExprPath, Ident, Lit, LitStr, Meta, Path};

use crate::attr_args::{AttrArg, AttrArgs};
use crate::errors::Errors;

/// The attribute that carries options on trait items and arguments: `#[pime(...)]`.
const OPTION_ATTRIBUTE: &str = "pime";

/// Whether `attr` is `#[pime(...)]` (or `#[pime]`).
pub(crate) fn is_option_attr(attr: &Attribute) -> bool {
    attr.path().is_ident(OPTION_ATTRIBUTE)
}

/// What an option's value must be, and the function that stores it in `T`.
pub(crate) enum Kind<T> {
    /// `key` alone; gets the key.
    Flag(fn(&mut T, &Ident)),
    /// `key = Name`: one identifier, without quotes.
    Ident(fn(&mut T, Ident)),
    /// `key = some::path`, or the path in a string literal.
    Path(fn(&mut T, Path)),
    /// `key = "text"`; gets the key and the literal, and records in the [`Errors`] a
    /// text it cannot read (a timeout that is no duration), so that error comes in
    /// list order too.
    Str(fn(&mut T, &Ident, &LitStr, &mut Errors)),
}

/// One option an attribute accepts.
pub(crate) struct OptionSpec<T> {
    /// The key, without `r#`.
    pub(crate) key: &'static str,
    /// What the value must be, and where it goes.
    pub(crate) kind: Kind<T>,
    /// How the option appears in the list of valid options: `client = Name`.
    pub(crate) usage: &'static str,
    /// A full example, for the message about a missing value: `client = GreeterClient`.
    pub(crate) example: &'static str,
    /// The error for a value that does not fit `kind` (for a flag: any value).
    pub(crate) expects: &'static str,
}

/// The error texts of one attribute. `{key}`, `{example}`, `{error}`, `{valid}` and
/// `{list}` are filled in.
pub(crate) struct Messages {
    /// Introduces the valid options; `{list}` is each option's `usage` in backticks,
    /// joined by commas.
    pub(crate) valid: &'static str,
    /// For a key the table does not have.
    pub(crate) unknown: &'static str,
    /// For a key given a second time (in the same list or another attribute).
    pub(crate) duplicate: &'static str,
    /// For a list that does not parse; `{error}` is the parser's message.
    pub(crate) unreadable: &'static str,
    /// For `#[pime]` or `#[pime = ..]`, on the whole attribute; `None` reports the
    /// parser's message through `unreadable`.
    pub(crate) bare: Option<&'static str>,
    /// For a key without a value; `None` reports the option's `expects` on the key.
    pub(crate) missing_value: Option<&'static str>,
}

/// The options of one attribute, read into a `T`.
pub(crate) struct Table<T: 'static> {
    /// Every option, in the order the list of valid options shows them.
    pub(crate) options: &'static [OptionSpec<T>],
    /// How problems are worded.
    pub(crate) messages: Messages,
}

impl<T: Default> Table<T> {
    /// Reads the arguments of an attribute macro, such as the tokens inside
    /// `#[pime::python_module(...)]`.
    pub(crate) fn read_args(&self, args: TokenStream, errors: &mut Errors) -> T {
        let mut reader = Reader::new(self);
        match syn::parse2::<AttrArgs>(args) {
            Ok(list) => reader.read(list, errors),
            Err(error) => reader.unreadable(&error, errors),
        }
        reader.values
    }

    /// Reads every `#[pime(...)]` among `attrs`: their entries form one list, so a key
    /// may appear once across all of them.
    pub(crate) fn read_attrs(&self, attrs: &[Attribute], errors: &mut Errors) -> T {
        let mut reader = Reader::new(self);
        for attr in attrs.iter().filter(|a| is_option_attr(a)) {
            if let (Some(bare), false) = (self.messages.bare, matches!(attr.meta, Meta::List(_))) {
                errors.at(attr, fill(bare, &[("valid", &self.valid())]));
                continue;
            }
            match attr.parse_args::<AttrArgs>() {
                Ok(list) => reader.read(list, errors),
                Err(error) => reader.unreadable(&error, errors),
            }
        }
        reader.values
    }

    /// The list of valid options, as the messages show it.
    fn valid(&self) -> String {
        let list: Vec<String> = self
            .options
            .iter()
            .map(|option| format!("`{}`", option.usage))
            .collect();
        fill(self.messages.valid, &[("list", &list.join(", "))])
    }
}

/// Reads the lists of one attribute (or of the attributes of one item) into `values`.
struct Reader<'t, T: 'static> {
    table: &'t Table<T>,
    values: T,
    /// The keys read so far, known or not.
    seen: Vec<String>,
}

impl<'t, T: Default> Reader<'t, T> {
    fn new(table: &'t Table<T>) -> Self {
        Reader {
            table,
            values: T::default(),
            seen: Vec::new(),
        }
    }

    fn unreadable(&self, error: &syn::Error, errors: &mut Errors) {
        let message = fill(
            self.table.messages.unreadable,
            &[
                ("valid", &self.table.valid()),
                ("error", &error.to_string()),
            ],
        );
        errors.push(syn::Error::new(error.span(), message));
    }

    fn read(&mut self, list: AttrArgs, errors: &mut Errors) {
        let messages = &self.table.messages;
        for arg in list.0 {
            let key = arg.name();
            if self.seen.contains(&key) {
                errors.at(&arg.key, fill(messages.duplicate, &[("key", &key)]));
                continue;
            }
            self.seen.push(key.clone());
            match self.table.options.iter().find(|option| option.key == key) {
                Some(option) => self.read_value(option, &arg, errors),
                None => errors.at(
                    &arg.key,
                    fill(
                        messages.unknown,
                        &[("key", &key), ("valid", &self.table.valid())],
                    ),
                ),
            }
        }
    }

    fn read_value(&mut self, option: &OptionSpec<T>, arg: &AttrArg, errors: &mut Errors) {
        let Some(value) = &arg.value else {
            match (&option.kind, self.table.messages.missing_value) {
                (Kind::Flag(set), _) => set(&mut self.values, &arg.key),
                (_, Some(missing)) => errors.at(
                    &arg.key,
                    fill(
                        missing,
                        &[("key", &arg.name()), ("example", option.example)],
                    ),
                ),
                (_, None) => errors.at(&arg.key, option.expects),
            }
            return;
        };
        match &option.kind {
            Kind::Flag(_) => errors.at(value, option.expects),
            Kind::Ident(set) => match ident_value(value) {
                Some(ident) => set(&mut self.values, ident.clone()),
                None => errors.at(value, option.expects),
            },
            Kind::Path(set) => match path_value(value) {
                Some(path) => set(&mut self.values, path),
                None => errors.at(value, option.expects),
            },
            Kind::Str(read) => match arg.lit_str() {
                Some(lit) => read(&mut self.values, &arg.key, lit, errors),
                None => errors.at(value, option.expects),
            },
        }
    }
}

/// The identifier `value` is, if it is one (without quotes).
fn ident_value(value: &Expr) -> Option<&Ident> {
    match value {
        Expr::Path(ExprPath {
            qself: None,
            path,
            attrs,
        }) if attrs.is_empty() => path.get_ident(),
        _ => None,
    }
}

/// The path `value` is, written out or in a string literal.
fn path_value(value: &Expr) -> Option<Path> {
    match value {
        Expr::Path(ExprPath {
            qself: None,
            path,
            attrs,
        }) if attrs.is_empty() => Some(path.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => lit.parse::<Path>().ok(),
        _ => None,
    }
}

/// `template` with each `{name}` of `values` replaced; the replacements are not
/// scanned again.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        rest = &rest[open..];
        let placeholder = values.iter().find(|(name, _)| {
            rest[1..].starts_with(name) && rest[1 + name.len()..].starts_with('}')
        });
        match placeholder {
            Some((name, value)) => {
                text.push_str(value);
                rest = &rest[name.len() + 2..];
            }
            None => {
                text.push('{');
                rest = &rest[1..];
            }
        }
    }
    text.push_str(rest);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen {
        flag: bool,
        text: Option<String>,
    }

    static TABLE: Table<Seen> = Table {
        options: &[
            OptionSpec {
                key: "flag",
                kind: Kind::Flag(|seen, _| seen.flag = true),
                usage: "flag",
                example: "flag",
                expects: "`flag` takes no value",
            },
            OptionSpec {
                key: "text",
                kind: Kind::Str(|seen, _, lit, _| seen.text = Some(lit.value())),
                usage: "text = \"..\"",
                example: "text = \"hello\"",
                expects: "`text` takes a string",
            },
        ],
        messages: Messages {
            valid: "valid: {list}",
            unknown: "unknown `{key}`; {valid}",
            duplicate: "`{key}` twice",
            unreadable: "{error}; {valid}",
            bare: None,
            missing_value: Some("`{key}` needs a value: `{example}`"),
        },
    };

    fn read(args: &str) -> (Seen, Vec<String>) {
        let mut errors = Errors::default();
        let seen = TABLE.read_args(args.parse().unwrap(), &mut errors);
        let messages = syn::parse2::<syn::File>(errors.into_compile_errors())
            .unwrap()
            .items
            .iter()
            .map(|item| match item {
                syn::Item::Macro(m) => m.mac.parse_body::<LitStr>().unwrap().value(),
                _ => panic!("only compile_error! invocations"),
            })
            .collect();
        (seen, messages)
    }

    #[test]
    fn reads_known_options() {
        let (seen, errors) = read("flag, text = \"hi\"");
        assert!(errors.is_empty(), "{errors:?}");
        assert!(seen.flag);
        assert_eq!(seen.text.as_deref(), Some("hi"));
    }

    #[test]
    fn reports_each_problem_in_list_order() {
        let (seen, errors) = read("tetx = 1, flag = 2, text, flag, text = 3, text = \"x\"");
        assert_eq!(
            errors,
            [
                "unknown `tetx`; valid: `flag`, `text = \"..\"`",
                "`flag` takes no value",
                "`text` needs a value: `text = \"hello\"`",
                "`flag` twice",
                "`text` twice",
                "`text` twice",
            ]
        );
        assert!(!seen.flag);
        assert_eq!(seen.text, None);
    }

    #[test]
    fn unreadable_lists_name_the_valid_options() {
        let (_, errors) = read("flag text");
        assert_eq!(errors, ["expected `,`; valid: `flag`, `text = \"..\"`"]);
    }

    #[test]
    fn fill_replaces_known_placeholders_once() {
        assert_eq!(
            fill("{a} and {b} and {c}", &[("a", "{b}"), ("b", "2")]),
            "{b} and 2 and {c}"
        );
    }
}
