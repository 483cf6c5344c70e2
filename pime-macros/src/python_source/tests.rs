//! Tests of the Python source scanner.

use super::*;

fn names(functions: &[PyFunction]) -> Vec<&str> {
    functions.iter().map(|f| f.def_name.as_str()).collect()
}

#[test]
fn finds_top_level_defs_only() {
    let source = r#"
import os
"""A docstring that mentions
def not_a_function(x):
"""

def hello(name: str) -> str:
    def inner(y):
        pass
    return "hi " + name

class C:
    def method(self, z):
        pass

async def fetch(url, *, timeout: float = 1.0, **kwargs):
    pass

if True:
    def hidden(): pass
x = "def fake(a):"
def one_liner(a, b=2): return a  # def commented(c)
"#;
    let functions = scan(source);
    assert_eq!(names(&functions), ["hello", "fetch", "one_liner"]);
    assert_eq!(functions[0].line, 7);
    assert!(functions[0].accepts("name"));
    assert!(!functions[0].accepts("y"));
    assert!(functions[1].takes_var_keyword);
    assert!(functions[1].accepts("anything"));
    assert_eq!(
        functions[1].params,
        [
            PyParam {
                name: "url".into(),
                kind: ParamKind::PositionalOrKeyword,
                has_default: false
            },
            PyParam {
                name: "timeout".into(),
                kind: ParamKind::KeywordOnly,
                has_default: true
            },
        ]
    );
    assert!(functions[2].params[1].has_default);
    assert!(!functions[2].params[0].has_default);
}

#[test]
fn multi_line_signatures_and_tricky_defaults() {
    let source = "def f(\n    a: dict[str, int] = {'x': 1, 'y': (2, 3)},\n    b: str = \"),(\",  # comment ) here\n    c=a == b,\n    d: int \\\n    = 4,\n    /,\n    e=5,\n):\n    pass\n";
    let functions = scan(source);
    assert_eq!(functions.len(), 1);
    let params: Vec<(&str, ParamKind, bool)> = functions[0]
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.kind, p.has_default))
        .collect();
    assert_eq!(
        params,
        [
            ("a", ParamKind::PositionalOnly, true),
            ("b", ParamKind::PositionalOnly, true),
            ("c", ParamKind::PositionalOnly, true),
            ("d", ParamKind::PositionalOnly, true),
            ("e", ParamKind::PositionalOrKeyword, true),
        ]
    );
    assert!(!functions[0].accepts("a"));
    assert!(functions[0].accepts("e"));
}

#[test]
fn command_decorators() {
    let source = r#"
import pime
broker = pime.Broker()

@broker.command
def hello(name): ...

@broker.command("bye")
async def goodbye(): ...

@broker.command(name='greeter.add')
@other_decorator(1)
def add(a, b): ...

@functools.cache
def plain(): ...
"#;
    let functions = scan(source);
    let names: Vec<Vec<&str>> = functions.iter().map(PyFunction::command_names).collect();
    assert_eq!(
        names,
        [
            vec!["hello"],
            vec!["bye"],
            vec!["greeter.add"],
            vec!["plain"]
        ]
    );
    assert_eq!(functions[1].signature(), "def goodbye()");
}

#[test]
fn signature_text() {
    let functions = scan("def f(a, b=1, **kw): pass\n");
    assert_eq!(functions[0].signature(), "def f(a, b=..., **kwargs)");
}

#[test]
fn crlf_and_unterminated_input_do_not_panic() {
    assert_eq!(
        names(&scan("def a(x):\r\n    pass\r\ndef b(y):\r\n")),
        ["a", "b"]
    );
    assert_eq!(
        names(&scan("def broken(x, 'unterminated")),
        Vec::<&str>::new()
    );
    assert_eq!(names(&scan("def")), Vec::<&str>::new());
    assert_eq!(
        names(&scan("\"\"\"never closed\ndef f(): pass")),
        Vec::<&str>::new()
    );
}
