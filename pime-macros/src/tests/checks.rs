//! The check pass: the rules on the trait, its methods, their arguments and return
//! types, command names and duplicates; every misuse reported, in source order.

use super::support::{assert_errors, errors, run};

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

#[test]
fn option_errors_and_checks_come_in_source_order() {
    let errors = errors(
        r#"trait M {
            #[pime(timeout = "soon")]
            fn a(&mut self, #[pime(renmae = "x")] _: u8) -> String;
            type T;
            #[pime(nmae = "x")]
            async fn b(&self) -> pime::Result<()>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "invalid timeout: `soon` has no number",
            "python_module methods are `async fn`",
            ": remove `mut`",
            "unknown argument option `renmae`",
            "give the argument a name",
            "the return type must be `pime::Result<T>`",
            "associated types are not supported",
            "unknown option `nmae`",
        ],
    );
}
