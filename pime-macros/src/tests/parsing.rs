//! Reading the attribute and the options: what is no trait, and every problem in
//! the options of the three attributes, in list order.

use super::support::{assert_errors, errors, run};

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
fn argument_options_report_duplicates_like_the_others() {
    let errors = errors(
        r#"trait M {
            async fn a(
                &self,
                #[pime(rename = "x", rename = 5)] a: u8,
                #[pime(rename = 5)] #[pime(rename = "y")] b: u8,
                #[pime(foo, foo)] c: u8,
            ) -> pime::Result<()>;
        }"#,
    );
    assert_errors(
        &errors,
        &[
            "`rename` is given twice; keep only one",
            "`rename` takes the Python parameter name as a string",
            "`rename` is given twice; keep only one",
            "unknown argument option `foo`; the only one is `rename = \"python_name\"`",
            "`foo` is given twice; keep only one",
        ],
    );
}

#[test]
fn option_lists_report_in_list_order() {
    let trait_ = "trait M { async fn a(&self) -> pime::Result<()>; }";
    assert_errors(
        &run(
            "namespace = \"a-b\", clint = X, source = \"\", crate",
            trait_,
        )
        .1,
        &[
            "invalid namespace `a-b`",
            "unknown option `clint`",
            "the source path is empty",
            "option `crate` needs a value: write `crate = ::my_pime`",
        ],
    );
    assert_errors(
        &errors(
            r#"trait M {
                #[pime(timeout = "5 parsecs", nmae = "x")]
                #[pime(no_wait = 1, no_wait)]
                async fn a(&self) -> pime::Result<()>;
            }"#,
        ),
        &[
            "invalid timeout: unknown unit `parsecs`",
            "unknown option `nmae`",
            "`no_wait` is a flag and takes no value",
            "`no_wait` is given twice",
        ],
    );
}
