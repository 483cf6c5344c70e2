//! `PYTHON_STUB`: valid Python, with the commands, hints and docstrings.

use super::support::{assert_errors, assert_valid_python, python_stub, run, text, GREETER};

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

#[test]
fn stub_orders_optional_parameters_as_keyword_only() {
    let (file, _) = run(
        "",
        "trait M { async fn a(&self, x: Option<u8>, y: u8) -> pime::Result<()>; }",
    );
    assert!(text(&file).contains("def a(*, x: int | None = None, y: int) -> None:"));
}
