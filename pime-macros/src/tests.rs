//! Expansion tests on `proc_macro2` tokens: the messages of every misuse, the shape
//! of the generated code, and the `crate = path` hygiene.

use proc_macro2::{TokenStream, TokenTree};

use crate::expand_python_module;

/// Runs the macro; returns the generated code (without errors) and the error messages.
fn run(args: &str, item: &str) -> (syn::File, Vec<String>) {
    let args: TokenStream = args.parse().expect("args tokens");
    let item: TokenStream = item.parse().expect("item tokens");
    let output = expand_python_module(args, item);
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
fn errors(item: &str) -> Vec<String> {
    run("", item).1
}

/// Asserts that exactly one error contains each of `expected`, in order.
#[track_caller]
fn assert_errors(actual: &[String], expected: &[&str]) {
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

fn text(file: &syn::File) -> String {
    quote::quote!(#file).to_string()
}

const GREETER: &str = r#"
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

#[test]
fn full_example_expands_without_errors() {
    let (file, errors) = run("", GREETER);
    assert_errors(&errors, &[]);
    let code = text(&file);
    assert!(code.contains("pub struct GreeterClient ;"), "{code}");
    assert!(
        code.contains(r#"& ["hello" , "bye" , "log" , "add" , "search"]"#),
        "{code}"
    );
    assert!(code.contains("impl Greeter for GreeterClient"), "{code}");
    assert!(code.contains(". no_wait ()"), "{code}");
    assert!(
        code.contains(". exclusive () . timeout_ms (500u64)"),
        "{code}"
    );
    assert!(
        code.contains(
            r#". arg ("type" , :: pime :: __private :: to_param :: < String > (& kind))"#
        ),
        "{code}"
    );
    // The trait keeps its methods, desugared to Send futures, without #[pime].
    let syn::Item::Trait(greeter) = &file.items[0] else {
        panic!("the trait comes first")
    };
    let trait_code = quote::quote!(#greeter).to_string();
    assert!(!trait_code.contains("pime ("), "{trait_code}");
    assert!(!trait_code.contains("async"), "{trait_code}");
    assert!(
        trait_code.contains("fn hello (& self , name : & str) -> impl :: core :: future :: Future < Output = pime :: Result < String > > + :: core :: marker :: Send ;"),
        "{trait_code}"
    );
    assert!(
        trait_code.contains("# [doc = \" Says hello.\"]"),
        "{trait_code}"
    );
}

#[test]
fn options_change_names_and_paths() {
    let (file, errors) = run(
        r#"client = Hi, namespace = "greeter", crate = ::my_pime"#,
        GREETER,
    );
    assert_errors(&errors, &[]);
    let code = text(&file);
    assert!(code.contains("pub struct Hi ;"), "{code}");
    assert!(
        code.contains(r#""greeter.hello" , "greeter.bye""#),
        "{code}"
    );
    assert!(code.contains(":: my_pime :: __private :: Call"), "{code}");
    // No identifier `pime` may appear outside string literals and the user's own
    // return types: the crate path option must be used everywhere.
    let generated: Vec<&syn::Item> = file.items.iter().skip(1).collect();
    let tokens = quote::quote!(#(#generated)*);
    let mut leaks = Vec::new();
    find_ident(tokens, "pime", &mut leaks);
    let user_written = 5; // `pime::Result` in the five trait impl method signatures
    assert_eq!(leaks.len(), user_written, "{code}");
}

fn find_ident(tokens: TokenStream, name: &str, found: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) if ident == name => found.push(ident.to_string()),
            TokenTree::Group(group) => find_ident(group.stream(), name, found),
            _ => {}
        }
    }
}

#[test]
fn conditional_methods_keep_their_cfg() {
    let (file, errors) = run(
        "",
        r#"trait M {
            #[cfg(any())]
            async fn never(&self) -> pime::Result<()>;
            async fn always(&self) -> pime::Result<()>;
        }"#,
    );
    assert_errors(&errors, &[]);
    let code = text(&file);
    assert!(
        code.contains(r#"& [# [cfg (any ())] "never" , "always"]"#),
        "{code}"
    );
    assert!(code.contains("macro_rules ! __pime_stub_part_0"), "{code}");
    assert!(code.contains("# [cfg (not (all (any ())))]"), "{code}");
}

#[test]
fn not_a_trait() {
    assert_errors(
        &errors("struct S;"),
        &["#[python_module] goes on a trait that declares the Python commands"],
    );
    assert_errors(&errors("fn f() {}"), &["#[python_module] goes on a trait"]);
}

#[test]
fn bad_options() {
    let trait_ = "trait M { async fn a(&self) -> pime::Result<()>; }";
    assert_errors(
        &run("clint = X", trait_).1,
        &["unknown option `clint`; valid options: `client = Name`, `namespace = \"name\"`, `crate = path`, `source = \"path/to/module.py\"`"],
    );
    assert_errors(
        &run("client = A, client = B", trait_).1,
        &["option `client` is given twice; keep only one"],
    );
    assert_errors(
        &run("client = \"A\"", trait_).1,
        &["`client` takes the name of the struct to generate, without quotes"],
    );
    assert_errors(&run("client", trait_).1, &["option `client` needs a value"]);
    assert_errors(
        &run("namespace = \"a..b\"", trait_).1,
        &["invalid namespace `a..b`: the name is empty"],
    );
    assert_errors(
        &run("namespace = greeter", trait_).1,
        &["`namespace` takes a string literal"],
    );
    assert_errors(
        &run("namespace = \"\"", trait_).1,
        &["the namespace is empty"],
    );
    assert_errors(
        &run("crate = 5", trait_).1,
        &["`crate` takes the path of the pime crate"],
    );
    assert!(run("crate = \"::x\"", trait_).1.is_empty());
    assert_errors(
        &run("source = 5", trait_).1,
        &["`source` takes a string literal"],
    );
    assert_errors(
        &run("client = M", trait_).1,
        &["the client struct needs a name other than the trait's"],
    );
    assert_errors(
        &run("client = A b", trait_).1,
        &["expected `,`; valid options:"],
    );
}

#[test]
fn bad_traits() {
    assert_errors(&errors("trait M {}"), &["trait `M` declares no commands"]);
    assert_errors(
        &errors("trait M<T> { async fn a(&self) -> pime::Result<()>; }"),
        &["a python_module trait cannot be generic"],
    );
    assert_errors(
        &errors("unsafe trait M { async fn a(&self) -> pime::Result<()>; }"),
        &["cannot be `unsafe`"],
    );
    assert_errors(
        &errors("trait M { type T; const C: u8; async fn a(&self) -> pime::Result<()>; }"),
        &[
            "associated types are not supported",
            "associated consts are not supported",
        ],
    );
    assert_errors(
        &errors("#[pime(client = X)] trait M { async fn a(&self) -> pime::Result<()>; }"),
        &["module options go in the attribute itself"],
    );
}

#[test]
fn bad_methods_are_all_reported() {
    let errors = errors(
        r#"trait M {
            async fn no_receiver(x: u8) -> pime::Result<()>;
            async fn mutable(&mut self) -> pime::Result<()>;
            async fn by_value(self) -> pime::Result<()>;
            async fn boxed(self: Box<Self>) -> pime::Result<()>;
            fn not_async(&self) -> pime::Result<()>;
            async fn body(&self) -> pime::Result<()> { Ok(()) }
            async fn generic<T>(&self) -> pime::Result<()>;
            async fn lifetime<'a>(&'a self, x: &'a str) -> pime::Result<()>;
            async fn pattern(&self, (a, b): (u8, u8)) -> pime::Result<()>;
            async fn wild(&self, _: u8) -> pime::Result<()>;
            async fn mut_arg(&self, mut a: u8) -> pime::Result<()>;
            async fn impl_arg(&self, a: impl Into<String>) -> pime::Result<()>;
            async fn nested_impl(&self, a: Vec<impl Into<String>>) -> pime::Result<()>;
            async fn no_return(&self);
            async fn not_result(&self) -> String;
            async fn two_args(&self) -> Result<u8, String>;
            async fn io_error(&self) -> Result<u8, std::io::Error>;
            async fn impl_result(&self) -> pime::Result<impl Sized>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "python_module methods take `&self` (the client is a stateless `Copy` handle): add `&self` as the first argument",
            ": remove `mut`",
            ": write `&self`",
            ": write `&self`",
            "python_module methods are `async fn`",
            "remove the default body",
            "python_module methods cannot be generic",
            "write a plain argument name such as `name: Type`",
            "give the argument a name",
            "write a plain argument name",
            "`impl Trait` arguments are not supported",
            "`impl Trait` arguments are not supported",
            "add a return type: `-> pime::Result<T>`",
            "the return type must be `pime::Result<T>`",
            "the return type must be `pime::Result<T>`",
            "the return type must be `pime::Result<T>`",
            "`impl Trait` results are not supported",
        ],
    );
}

#[test]
fn accepted_result_spellings() {
    let (_, errors) = run(
        "",
        r#"trait M {
            async fn a(&self) -> pime::Result<()>;
            async fn b(&self) -> Result<u8>;
            async fn c(&self) -> ::core::result::Result<u8, pime::Error>;
            async fn d(&self) -> std::result::Result<Vec<u8>, Error>;
            async fn e(&self) -> std::result::Result<Vec<u8>, ::pime::Error>;
        }"#,
    );
    assert_errors(&errors, &[]);
}

#[test]
fn bad_method_options() {
    let errors = errors(
        r#"trait M {
            #[pime(nmae = "x")]
            async fn a(&self) -> pime::Result<()>;
            #[pime(no_wait, no_wait)]
            async fn b(&self) -> pime::Result<()>;
            #[pime(no_wait = true)]
            async fn c(&self) -> pime::Result<()>;
            #[pime(timeout = "5 parsecs")]
            async fn d(&self) -> pime::Result<()>;
            #[pime(timeout = 500)]
            async fn e(&self) -> pime::Result<()>;
            #[pime(name = hello)]
            async fn f(&self) -> pime::Result<()>;
            #[pime]
            async fn g(&self) -> pime::Result<()>;
            #[pime(no_wait)]
            async fn h(&self) -> pime::Result<u8>;
            #[pime(no_wait, timeout = "1s")]
            async fn i(&self) -> pime::Result<()>;
            async fn j(&self, #[pime(renmae = "x")] a: u8, #[pime(rename = 5)] b: u8) -> pime::Result<()>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "unknown option `nmae`; valid method options: `name = \"python_name\"`, `no_wait`, `exclusive`, `timeout = \"500ms\"`",
            "`no_wait` is given twice",
            "`no_wait` is a flag and takes no value: write `#[pime(no_wait)]`",
            "invalid timeout: unknown unit `parsecs` in `5 parsecs`; write a whole number and a unit",
            "`timeout` takes a duration string",
            "`name` takes the Python command name as a string",
            "write the options in parentheses",
            "a `no_wait` method never receives the result: declare it `-> pime::Result<()>`",
            "`timeout` has no effect with `no_wait`",
            "unknown argument option `renmae`; the only one is `rename = \"python_name\"`",
            "`rename` takes the Python parameter name as a string",
        ],
    );
}

#[test]
fn bad_names() {
    let errors = errors(
        r#"trait M {
            #[pime(name = "")]
            async fn a(&self) -> pime::Result<()>;
            #[pime(name = "two words")]
            async fn b(&self) -> pime::Result<()>;
            #[pime(name = "__init__")]
            async fn c(&self) -> pime::Result<()>;
            #[pime(name = "class")]
            async fn d(&self) -> pime::Result<()>;
            async fn _private(&self) -> pime::Result<()>;
            async fn r#async(&self) -> pime::Result<()>;
            async fn verify(&self) -> pime::Result<()>;
            async fn clone(&self) -> pime::Result<()>;
            async fn e(&self, #[pime(rename = "lambda")] a: u8, __pime: u8) -> pime::Result<()>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "invalid command name: the name is empty; write a Python function name",
            "invalid command name: `two words` is not a Python identifier",
            "invalid command name: `__init__` is a dunder name",
            "invalid command name: `class` is a Python keyword",
            "invalid command name: `_private` starts with `_`, and pime.Broker never dispatches to private names; rename the method, or give the Python name with #[pime(name = \"python_name\")]",
            "invalid command name: `async` is a Python keyword",
            "invalid Python parameter name: `lambda` is a Python keyword",
            "invalid Python parameter name: `__pime` starts with `__`",
            "method `verify` clashes with `MClient::verify`, which the macro generates; rename the method and keep the Python command with #[pime(name = \"verify\")]",
            "method `clone` clashes with `MClient::clone`",
        ],
    );
}

#[test]
fn duplicates_are_reported_on_both_sides() {
    let errors = errors(
        r#"trait M {
            async fn hello(&self) -> pime::Result<()>;
            #[pime(name = "hello")]
            async fn hi(&self) -> pime::Result<()>;
            #[cfg(unix)]
            #[pime(name = "hello")]
            async fn conditional(&self) -> pime::Result<()>;
            async fn args(&self, kind: u8, #[pime(rename = "kind")] other: u8) -> pime::Result<()>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "command `hello` is sent by both `hello` and `hi`",
            "command `hello` is sent by both `hi` and `hello`",
            "arguments `kind` and `other` both send the Python keyword argument `kind`",
            "arguments `other` and `kind` both send the Python keyword argument `kind`",
        ],
    );
}

#[test]
fn raw_identifiers_are_unraw_in_python() {
    let (file, errors) = run(
        "",
        "trait M { async fn r#match(&self, r#type: u8) -> pime::Result<()>; }",
    );
    assert_errors(&errors, &[]);
    let code = text(&file);
    assert!(code.contains(r#"& ["match"]"#), "{code}");
    assert!(code.contains(r#". arg ("type" ,"#), "{code}");
    assert!(code.contains("def match(type: int) -> None:"), "{code}");
}

fn write_python(name: &str, source: &str) -> String {
    let dir = std::env::temp_dir().join(format!("pime-macros-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn source_file_is_checked() {
    let path = write_python(
        "greeter.py",
        r#"
import pime
broker = pime.Broker()

@broker.command
def hello(name: str, greeting: str = "Hello") -> str:
    return f"{greeting}, {name}!"

@broker.command("bye")
async def goodbye(): ...

def add(a, b, /, c=1): ...
def search(q, limit, **kwargs): ...
def needs(x, y): ...
def pair(a, c): ...
"#,
    );
    let (file, errors) = run(
        &format!("source = {path:?}"),
        r#"trait Greeter {
            async fn hello(&self, name: &str, greting: String) -> pime::Result<String>;
            #[pime(name = "bye")]
            async fn goodbye(&self) -> pime::Result<String>;
            async fn helo(&self) -> pime::Result<String>;
            async fn add(&self, a: i64, c: i64) -> pime::Result<i64>;
            async fn search(&self, q: String, anything: u8, limit: Option<u32>) -> pime::Result<Vec<String>>;
            async fn needs(&self, x: u8) -> pime::Result<()>;
            async fn missing(&self) -> pime::Result<()>;
            async fn pair(&self, a: u8, b: u8) -> pime::Result<()>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "takes no argument `greting`; add it to the Python function or rename this one with #[pime(rename = \"...\")]; did you mean #[pime(rename = \"greeting\")]?",
            "has no top-level function for command `helo`: add `def helo(...)` to it, or fix the command name with #[pime(name = \"...\")]; did you mean `hello`?",
            "`a` is positional-only in Python `def add(a, b, c=...)`",
            "requires `b`, which `add` does not send",
            "`limit` is an `Option`, left out of the call when it is `None`, but Python",
            "requires `y`, which `needs` does not send; add an argument `y: ...` or give the parameter a default in Python",
            "has no top-level function for command `missing`",
            "takes no argument `b`; add it to the Python function or rename this one with #[pime(rename = \"...\")]; did you mean #[pime(rename = \"c\")]?",
            "requires `c`, which `pair` does not send",
        ],
    );
    assert!(
        errors[0].starts_with("Python `def hello(name, greeting=...)` ("),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("greeter.py, line 6)"), "{}", errors[0]);
    // The file is included so the crate recompiles when it changes.
    assert!(text(&file).contains("include_bytes"));
}

#[test]
fn source_with_namespace_matches_registered_or_bare_names() {
    let path = write_python(
        "namespaced.py",
        "@broker.command('greeter.hello')\ndef hello(name): ...\ndef bye(): ...\n",
    );
    let (_, errors) = run(
        &format!("namespace = \"greeter\", source = {path:?}"),
        "trait G { async fn hello(&self, name: String) -> pime::Result<()>; async fn bye(&self) -> pime::Result<()>; }",
    );
    assert_errors(&errors, &[]);
}

#[test]
fn unreadable_source_names_the_file() {
    let (file, errors) = run(
        "source = \"no/such/module.py\"",
        "trait M { async fn a(&self) -> pime::Result<()>; }",
    );
    assert_errors(
        &errors,
        &["cannot read the Python source `no/such/module.py`: "],
    );
    assert!(!text(&file).contains("include_bytes"));
}

#[test]
fn trait_is_emitted_even_with_errors() {
    let (file, errors) = run(
        "",
        "pub trait M { async fn good(&self) -> pime::Result<()>; fn bad(&self); }",
    );
    assert_eq!(errors.len(), 2);
    let code = text(&file);
    assert!(code.contains("pub trait M"), "{code}");
    assert!(code.contains("pub struct MClient"), "{code}");
    assert!(code.contains("impl M for MClient"), "{code}");
    assert!(code.contains("unimplemented"), "{code}");
}

#[test]
fn python_stub_is_valid_python() {
    let (file, errors) = run("namespace = \"greeter\"", GREETER);
    assert_errors(&errors, &[]);
    let stub = python_stub(&file);
    assert!(
        stub.contains("@broker.command(\"greeter.bye\")\ndef bye() -> str:\n"),
        "{stub}"
    );
    assert!(
        stub.contains("def add(a: int, type: str) -> int:"),
        "{stub}"
    );
    assert!(
        stub.contains("def search(q: str, limit: int | None = None) -> list[str]:"),
        "{stub}"
    );
    assert!(stub.contains("    \"\"\"Says hello.\"\"\"\n"), "{stub}");
    assert!(stub.contains("def log(line: str) -> None:"), "{stub}");
    assert_valid_python(&stub);
}

/// The `PYTHON_STUB` literal of an expansion.
fn python_stub(file: &syn::File) -> String {
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
fn assert_valid_python(stub: &str) {
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

#[test]
fn stub_orders_optional_parameters_as_keyword_only() {
    let (file, _) = run(
        "",
        "trait M { async fn a(&self, x: Option<u8>, y: u8) -> pime::Result<()>; }",
    );
    assert!(text(&file).contains("def a(*, x: int | None = None, y: int) -> None:"));
}

const STREAMER: &str = r#"
    pub trait Streamer {
        /// Counts to `n`.
        async fn count(&self, n: u32, step: Option<u32>) -> pime::Result<pime::PyStream<Vec<u8>>>;
        async fn rows(&self) -> Result<PyStream>;
        async fn hello(&self) -> pime::Result<String>;
    }
"#;

#[test]
fn streaming_methods_send_with_call_stream() {
    let (file, errors) = run("", STREAMER);
    assert_errors(&errors, &[]);
    let code = text(&file);
    assert!(
        code.contains(r#". arg ("step" , :: pime :: __private :: to_param :: < Option < u32 > > (& step)) . stream (:: pime :: __private :: decode :: < Vec < u8 > > ())"#),
        "{code}"
    );
    assert!(
        code.contains(". stream (:: pime :: __private :: decode :: < :: pime :: Value > ())"),
        "{code}"
    );
    assert!(
        code.contains(". send (:: pime :: __private :: decode :: < String > ())"),
        "{code}"
    );
    let stub = python_stub(&file);
    assert!(
        stub.contains("from __future__ import annotations\n\nfrom collections.abc import Iterator\nfrom typing import Any\n"),
        "{stub}"
    );
    assert!(
        stub.contains("# stream: yield the items (a generator, or an async generator)"),
        "{stub}"
    );
    assert!(
        stub.contains("def count(n: int, step: int | None = None) -> Iterator[list[int]]:\n    \"\"\"Counts to `n`.\"\"\""),
        "{stub}"
    );
    assert!(stub.contains("def rows() -> Iterator[Any]:"), "{stub}");
    assert!(stub.contains("def hello() -> str:"), "{stub}");
    assert_valid_python(&stub);

    // No `Iterator` import without a streaming method.
    let (file, _) = run("", GREETER);
    assert!(!python_stub(&file).contains("Iterator"));
}

#[test]
fn streaming_methods_use_the_crate_path() {
    let (file, errors) = run("crate = ::my_pime", STREAMER);
    assert_errors(&errors, &[]);
    let code = text(&file);
    assert!(
        code.contains(". stream (:: my_pime :: __private :: decode :: < :: my_pime :: Value > ())"),
        "{code}"
    );
    // `my_pime::PyStream` is recognised; `other::PyStream` is a plain result.
    let (file, errors) = run(
        "crate = ::my_pime",
        r#"trait M {
            async fn a(&self) -> my_pime::Result<my_pime::PyStream<u8>>;
            async fn b(&self) -> my_pime::Result<other::PyStream<u8>>;
        }"#,
    );
    assert_errors(&errors, &[]);
    let code = text(&file);
    assert!(
        code.contains(". stream (:: my_pime :: __private :: decode :: < u8 > ())"),
        "{code}"
    );
    assert!(
        code.contains(
            ". send (:: my_pime :: __private :: decode :: < other :: PyStream < u8 > > ())"
        ),
        "{code}"
    );
}

#[test]
fn streaming_methods_reject_call_options() {
    let errors = errors(
        r#"trait M {
            #[pime(no_wait)]
            async fn a(&self) -> pime::Result<pime::PyStream<u8>>;
            #[pime(timeout = "1s")]
            async fn b(&self) -> pime::Result<pime::PyStream<u8>>;
            #[pime(exclusive)]
            async fn c(&self) -> pime::Result<pime::PyStream<u8>>;
            #[pime(name = "ok")]
            async fn d(&self) -> pime::Result<pime::PyStream<u8>>;
            async fn e(&self) -> pime::Result<pime::PyStream<u8, u8>>;
            async fn f(&self) -> pime::Result<pime::PyStream<'static>>;
            async fn g(&self) -> pime::Result<impl Stream<Item = pime::Result<u8>>>;
            async fn h(&self) -> pime::Result<pime::PyStream<impl Sized>>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "`no_wait` cannot go on a streaming method: a `no_wait` call never receives anything",
            "`timeout` cannot go on a streaming method: the method returns the stream as soon as the task is queued",
            "`exclusive` cannot go on a streaming method: the generator would run on the engine thread",
            "`PyStream` takes one type argument, the type of the items: `pime::PyStream<T>`",
            "`PyStream` takes one type argument",
            "`impl Stream` results are not supported: declare `-> pime::Result<pime::PyStream<T>>`",
            "`impl Trait` results are not supported",
        ],
    );
}
