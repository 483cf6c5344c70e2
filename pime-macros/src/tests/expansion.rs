//! The generated code: the rewritten trait, the client and its calls, `crate = path`
//! hygiene, `#[cfg]` methods, streams, and the placeholder impl after errors.

use super::support::{
    assert_errors, assert_valid_python, find_ident, python_stub, run, text, GREETER, STREAMER,
};

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
    assert!(code.contains("macro_rules ! __pime_stub_part_1"), "{code}");
    assert!(code.contains("# [cfg (not (all (any ())))]"), "{code}");
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
