//! The typed layer without an engine: the mock path, calls made while no engine runs,
//! and `PYTHON_STUB` checked by Python itself.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use pime::ErrorKind;

/// The module a plugin host talks to.
#[pime::python_module(namespace = "plugins.text")]
pub trait Text {
    /// Upper-cases `text`.
    ///
    /// Says "hi" with \"quotes\" and a backslash \\ in the docs.
    async fn upper(&self, text: &str) -> pime::Result<String>;
    /// Counts words, at most `limit`.
    async fn count(&self, text: String, limit: Option<u32>) -> pime::Result<u64>;
    #[pime(no_wait)]
    async fn forget(&self, keys: Vec<String>) -> pime::Result<()>;
    #[pime(exclusive, timeout = "1s", name = "stats")]
    async fn statistics(
        &self,
        by_word: std::collections::HashMap<String, f64>,
        #[pime(rename = "type")] kind: Option<bool>,
        strict: bool,
    ) -> pime::Result<Vec<Option<i32>>>;
    async fn anything(&self, value: pime::Value) -> pime::Result<(u8, String)>;
}

/// A hand-written implementation with plain `async fn`s.
struct Mock;

impl Text for Mock {
    async fn upper(&self, text: &str) -> pime::Result<String> {
        Ok(text.to_uppercase())
    }
    async fn count(&self, text: String, limit: Option<u32>) -> pime::Result<u64> {
        let words = text.split_whitespace().count() as u64;
        Ok(limit.map_or(words, |limit| words.min(limit.into())))
    }
    async fn forget(&self, _keys: Vec<String>) -> pime::Result<()> {
        Ok(())
    }
    async fn statistics(
        &self,
        _by_word: std::collections::HashMap<String, f64>,
        _kind: Option<bool>,
        _strict: bool,
    ) -> pime::Result<Vec<Option<i32>>> {
        Ok(vec![None])
    }
    async fn anything(&self, _value: pime::Value) -> pime::Result<(u8, String)> {
        Ok((1, "one".into()))
    }
}

async fn shout(text: &impl Text, words: &str) -> pime::Result<String> {
    let count = text.count(words.into(), Some(10)).await?;
    Ok(format!("{} ({count})", text.upper(words).await?))
}

#[tokio::test]
async fn mocks_implement_the_trait() {
    assert_eq!(shout(&Mock, "two words").await.unwrap(), "TWO WORDS (2)");
    // The same code with the client, and no engine: an error at once, never a hang.
    let error = tokio::time::timeout(Duration::from_secs(5), shout(&TextClient, "x"))
        .await
        .expect("no hang without an engine")
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError);
    let error = tokio::time::timeout(Duration::from_secs(5), TextClient::verify())
        .await
        .expect("no hang without an engine")
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::PySyncEngineStateError);
    assert!(
        error.message.starts_with("TextClient::verify: "),
        "{}",
        error.message
    );
}

#[test]
fn commands_are_in_declaration_order_with_the_namespace() {
    assert_eq!(
        TextClient::COMMANDS,
        [
            "plugins.text.upper",
            "plugins.text.count",
            "plugins.text.forget",
            "plugins.text.stats",
            "plugins.text.anything",
        ]
    );
}

#[test]
fn python_stub_has_type_hints_and_docstrings() {
    let stub = TextClient::PYTHON_STUB;
    for expected in [
        "@broker.command(\"plugins.text.upper\")\ndef upper(text: str) -> str:\n",
        "def count(text: str, limit: int | None = None) -> int:\n    \"\"\"Counts words, at most `limit`.\"\"\"\n",
        "# no_wait: the caller does not wait, and the result is dropped\n",
        "def forget(keys: list[str]) -> None:\n",
        "def stats(*, by_word: dict[str, float], type: bool | None = None, strict: bool) -> list[int | None]:\n",
        "def anything(value: Any) -> list[Any]:\n",
    ] {
        assert!(stub.contains(expected), "{expected:?} not in:\n{stub}");
    }
}

/// Runs `script` with the stub on stdin, with the repository's `python/` (the `pime`
/// helper package) importable.
fn python(script: &str, stdin: &str) -> (bool, String) {
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/../python");
    let mut child = Command::new(python)
        .args(["-c", script])
        .env("PYTHONPATH", helper)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn python_stub_parses_and_registers_every_command() {
    let stub = TextClient::PYTHON_STUB;
    let (ok, output) = python("import ast, sys; ast.parse(sys.stdin.read())", stub);
    assert!(ok, "ast.parse failed: {output}\n{stub}");
    // Executed with the helper package, it registers exactly COMMANDS, and the
    // docstrings survive. `inspect.getdoc`: from 3.13 the compiler strips the
    // docstring's indentation itself, so the raw `__doc__` differs between versions.
    let (ok, output) = python(
        "import inspect, sys; ns = {}; exec(sys.stdin.read(), ns); \
         print('\\n'.join(ns['broker'].commands)); print(inspect.getdoc(ns['upper']))",
        stub,
    );
    assert!(ok, "the stub does not run: {output}\n{stub}");
    let mut lines = output.lines();
    let commands: Vec<&str> = lines.by_ref().take(TextClient::COMMANDS.len()).collect();
    assert_eq!(commands, TextClient::COMMANDS);
    let doc: Vec<&str> = lines.collect();
    assert_eq!(
        doc,
        [
            "Upper-cases `text`.",
            "",
            "Says \"hi\" with \\\"quotes\\\" and a backslash \\\\ in the docs.",
        ]
    );
}
