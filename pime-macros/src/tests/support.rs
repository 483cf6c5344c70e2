//! What the unit tests share: running the macro on strings, reading its errors and
//! generated code, and the example traits.

use proc_macro2::{TokenStream, TokenTree};

use crate::expand_attribute;
use crate::model::Flavor;

/// Runs the macro; returns the generated code (without errors) and the error messages.
pub(super) fn run(args: &str, item: &str) -> (syn::File, Vec<String>) {
    let args: TokenStream = args.parse().expect("args tokens");
    let item: TokenStream = item.parse().expect("item tokens");
    let output = expand_attribute(args, item, Flavor::Client);
    let file: syn::File = syn::parse2(output).expect("the expansion parses as items");
    let mut errors = Vec::new();
    let mut items = Vec::new();
    for item in file.items {
        match &item {
            syn::Item::Macro(m) if m.mac.path.segments.last().unwrap().ident == "compile_error" => {
                let lit: syn::LitStr = m.mac.parse_body().expect("a message");
                errors.push(lit.value());
            }
            _ => items.push(item),
        }
    }
    (
        syn::File {
            shebang: None,
            attrs: Vec::new(),
            items,
        },
        errors,
    )
}

/// The error messages for `item` with no options.
pub(super) fn errors(item: &str) -> Vec<String> {
    run("", item).1
}

/// Asserts that exactly one error contains each of `expected`, in order.
#[track_caller]
pub(super) fn assert_errors(actual: &[String], expected: &[&str]) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "expected {} errors, got {actual:#?}",
        expected.len()
    );
    for (actual, expected) in actual.iter().zip(expected) {
        assert!(
            actual.contains(expected),
            "error {actual:?} does not contain {expected:?}"
        );
    }
}

pub(super) fn text(file: &syn::File) -> String {
    quote::quote!(#file).to_string()
}

pub(super) fn write_python(name: &str, source: &str) -> String {
    let dir = std::env::temp_dir().join(format!("pime-macros-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    path.to_str().unwrap().to_string()
}

/// The `PYTHON_STUB` literal of an expansion.
pub(super) fn python_stub(file: &syn::File) -> String {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Impl(imp) if imp.trait_.is_none() => {
                imp.items.iter().find_map(|i| match i {
                    syn::ImplItem::Const(c) if c.ident == "PYTHON_STUB" => match &c.expr {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) => Some(s.value()),
                        _ => None,
                    },
                    _ => None,
                })
            }
            _ => None,
        })
        .expect("PYTHON_STUB is a string literal")
}

/// Checks `stub` with Python's own parser (skipped when there is no Python).
pub(super) fn assert_valid_python(stub: &str) {
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let Ok(mut child) = std::process::Command::new(&python)
        .args(["-c", "import ast, sys; ast.parse(sys.stdin.read())"])
        .stdin(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("no {python}: skipping the ast.parse check");
        return;
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stub.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "not valid Python:\n{stub}");
}

pub(super) fn find_ident(tokens: TokenStream, name: &str, found: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) if ident == name => found.push(ident.to_string()),
            TokenTree::Group(group) => find_ident(group.stream(), name, found),
            _ => {}
        }
    }
}

pub(super) const GREETER: &str = r#"
    /// The greeter module.
    pub trait Greeter {
        /// Says hello.
        async fn hello(&self, name: &str) -> pime::Result<String>;
        #[pime(name = "bye")]
        async fn goodbye(&self) -> pime::Result<String>;
        #[pime(no_wait)]
        async fn log(&self, line: String) -> pime::Result<()>;
        #[pime(exclusive, timeout = "500ms")]
        async fn add(&self, a: i64, #[pime(rename = "type")] kind: String) -> pime::Result<i64>;
        async fn search(&self, q: String, limit: Option<u32>) -> pime::Result<Vec<String>>;
    }
"#;

pub(super) const STREAMER: &str = r#"
    pub trait Streamer {
        /// Counts to `n`.
        async fn count(&self, n: u32, step: Option<u32>) -> pime::Result<pime::PyStream<Vec<u8>>>;
        async fn rows(&self) -> Result<PyStream>;
        async fn hello(&self) -> pime::Result<String>;
    }
"#;
