//! The checks against the Python source file of `source = "..."`.

use super::support::{assert_errors, run, text, write_python};

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
