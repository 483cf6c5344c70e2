//! A small scanner for Python source: the top-level `def`/`async def` functions, the
//! names they are registered under, and the parameters they accept.
//!
//! It is not a Python parser. It splits the text into logical lines (strings,
//! comments, brackets and `\` continuations handled), looks at the lines that start in
//! column 0, and reads `def` signatures and the `@something.command("name")`
//! decorators right above them.

/// How a parameter can be passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// Before `/`: only by position, so never by keyword.
    PositionalOnly,
    /// A plain parameter.
    PositionalOrKeyword,
    /// After `*` or `*args`.
    KeywordOnly,
}

/// One named parameter of a Python function (not `*args`/`**kwargs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PyParam {
    /// The parameter name.
    pub(crate) name: String,
    /// How it can be passed.
    pub(crate) kind: ParamKind,
    /// Whether it has a default value.
    pub(crate) has_default: bool,
}

/// A top-level function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PyFunction {
    /// The name after `def`.
    pub(crate) def_name: String,
    /// The names of `@x.command("name")` decorators; empty when there are none.
    pub(crate) registered_as: Vec<String>,
    /// The 1-based line of the `def`.
    pub(crate) line: usize,
    /// The named parameters in order.
    pub(crate) params: Vec<PyParam>,
    /// Whether it takes `**kwargs`.
    pub(crate) takes_var_keyword: bool,
}

impl PyFunction {
    /// The command names this function answers to: its decorator names, or its own
    /// name when it has none.
    pub(crate) fn command_names(&self) -> Vec<&str> {
        if self.registered_as.is_empty() {
            vec![self.def_name.as_str()]
        } else {
            self.registered_as.iter().map(String::as_str).collect()
        }
    }

    /// Whether a keyword argument `key` is accepted.
    pub(crate) fn accepts(&self, key: &str) -> bool {
        self.takes_var_keyword
            || self
                .params
                .iter()
                .any(|p| p.name == key && p.kind != ParamKind::PositionalOnly)
    }

    /// The signature as `def name(a, b=..., **kwargs)`, for messages.
    pub(crate) fn signature(&self) -> String {
        let mut parts: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                if p.has_default {
                    format!("{}=...", p.name)
                } else {
                    p.name.clone()
                }
            })
            .collect();
        if self.takes_var_keyword {
            parts.push("**kwargs".into());
        }
        format!("def {}({})", self.def_name, parts.join(", "))
    }
}

/// One logical line: its indentation, its text without comments, its first line number.
struct LogicalLine {
    indent: usize,
    text: String,
    line: usize,
}

/// Every top-level function in `source`, in order.
pub(crate) fn scan(source: &str) -> Vec<PyFunction> {
    let mut functions = Vec::new();
    let mut decorators: Vec<String> = Vec::new();
    for line in logical_lines(source) {
        if line.indent != 0 {
            continue;
        }
        let text = line.text.trim();
        if let Some(decorator) = text.strip_prefix('@') {
            decorators.push(decorator.trim().to_string());
            continue;
        }
        if let Some(mut function) = parse_def(text, line.line) {
            function.registered_as = decorators
                .iter()
                .filter_map(|d| command_decorator_name(d, &function.def_name))
                .collect();
            functions.push(function);
        }
        decorators.clear();
    }
    functions
}

/// Splits `source` into logical lines, dropping comments and blank lines.
fn logical_lines(source: &str) -> Vec<LogicalLine> {
    let chars: Vec<char> = source.chars().collect();
    let mut lines = Vec::new();
    let mut i = 0;
    let mut line_no = 1;
    while i < chars.len() {
        // Start of a physical line that begins a logical line.
        let start_line = line_no;
        let mut indent = 0;
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t' || chars[i] == '\x0c') {
            indent += 1;
            i += 1;
        }
        let mut text = String::new();
        let mut depth = 0usize;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '#' => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
                '\'' | '"' => {
                    let end = string_end(&chars, i);
                    for &sc in &chars[i..end] {
                        if sc == '\n' {
                            line_no += 1;
                        }
                        text.push(sc);
                    }
                    i = end;
                }
                '\\' if chars.get(i + 1) == Some(&'\n') => {
                    text.push(' ');
                    line_no += 1;
                    i += 2;
                }
                '\\' if chars.get(i + 1) == Some(&'\r') && chars.get(i + 2) == Some(&'\n') => {
                    text.push(' ');
                    line_no += 1;
                    i += 3;
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    text.push(c);
                    i += 1;
                }
                ')' | ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    text.push(c);
                    i += 1;
                }
                '\n' => {
                    line_no += 1;
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                    text.push(' ');
                }
                '\r' => i += 1,
                _ => {
                    text.push(c);
                    i += 1;
                }
            }
        }
        if !text.trim().is_empty() {
            lines.push(LogicalLine {
                indent,
                text,
                line: start_line,
            });
        }
    }
    lines
}

/// The index just past the string literal whose opening quote is at `start`.
fn string_end(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            i += 2;
            continue;
        }
        if triple {
            if c == quote && chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
                return i + 3;
            }
        } else if c == quote {
            return i + 1;
        } else if c == '\n' {
            // An unterminated single-quoted string: stop at the line end.
            return i;
        }
        i += 1;
    }
    chars.len()
}

/// Reads `def name(params)` or `async def name(params)` at the start of `text`.
fn parse_def(text: &str, line: usize) -> Option<PyFunction> {
    let rest = strip_keyword(text, "async").unwrap_or(text);
    let rest = strip_keyword(rest, "def")?;
    let name_len = rest
        .find(|c: char| !(c == '_' || c.is_alphanumeric()))
        .unwrap_or(rest.len());
    let (def_name, rest) = rest.split_at(name_len);
    if def_name.is_empty() {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('(')?;
    let close = find_top_level(rest, |c| c == ')')?;
    let mut params = Vec::new();
    let mut takes_var_keyword = false;
    let mut keyword_only = false;
    for raw in split_top_level(&rest[..close], ',') {
        let param = raw.trim();
        if param.is_empty() {
            continue;
        }
        if param == "/" {
            for p in &mut params {
                let p: &mut PyParam = p;
                p.kind = ParamKind::PositionalOnly;
            }
            continue;
        }
        if param.starts_with("**") {
            takes_var_keyword = true;
            continue;
        }
        if param.starts_with('*') {
            keyword_only = true;
            continue;
        }
        let name_len = param
            .find(|c: char| !(c == '_' || c.is_alphanumeric()))
            .unwrap_or(param.len());
        let name = &param[..name_len];
        if name.is_empty() {
            continue;
        }
        let has_default = find_top_level(param, |c| c == '=').is_some_and(|at| {
            let bytes = param.as_bytes();
            bytes.get(at + 1) != Some(&b'=')
                && !matches!(
                    at.checked_sub(1).map(|b| bytes[b]),
                    Some(b'=' | b'<' | b'>' | b'!')
                )
        });
        params.push(PyParam {
            name: name.to_string(),
            kind: if keyword_only {
                ParamKind::KeywordOnly
            } else {
                ParamKind::PositionalOrKeyword
            },
            has_default,
        });
    }
    Some(PyFunction {
        def_name: def_name.to_string(),
        registered_as: Vec::new(),
        line,
        params,
        takes_var_keyword,
    })
}

/// `text` after `keyword` and the whitespace following it, if `text` starts with it.
fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(keyword)?;
    if rest.starts_with(|c: char| c.is_whitespace()) {
        Some(rest.trim_start())
    } else {
        None
    }
}

/// If `decorator` (the text after `@`) registers a command, its name: the string given
/// to `x.command("name")` / `x.command(name="name")`, or `def_name` for a bare
/// `x.command` / `x.command()`.
fn command_decorator_name(decorator: &str, def_name: &str) -> Option<String> {
    let (callee, args) = match find_top_level(decorator, |c| c == '(') {
        Some(open) => {
            let inner = &decorator[open + 1..];
            let close = find_top_level(inner, |c| c == ')').unwrap_or(inner.len());
            (&decorator[..open], Some(&inner[..close]))
        }
        None => (decorator, None),
    };
    let callee = callee.trim();
    if callee != "command" && !callee.ends_with(".command") {
        return None;
    }
    let Some(args) = args else {
        return Some(def_name.to_string());
    };
    let args = split_top_level(args, ',');
    for (index, arg) in args.iter().enumerate() {
        let arg = arg.trim();
        let value = if index == 0 && string_literal(arg).is_some() {
            arg
        } else if let Some(value) = arg.strip_prefix("name") {
            match value.trim_start().strip_prefix('=') {
                Some(value) => value.trim(),
                None => continue,
            }
        } else {
            continue;
        };
        if let Some(name) = string_literal(value) {
            return Some(name);
        }
    }
    Some(def_name.to_string())
}

/// The content of a simple string literal such as `"bye"` or `r'bye'`.
fn string_literal(text: &str) -> Option<String> {
    let text = text.trim_start_matches(['r', 'R', 'u', 'U']);
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let chars: Vec<char> = text.chars().collect();
    let end = string_end(&chars, 0);
    if end != chars.len() {
        return None;
    }
    let inner = text.trim_start_matches(quote).trim_end_matches(quote);
    Some(inner.to_string())
}

/// The byte index of the first char matching `pred` outside strings and brackets.
fn find_top_level(text: &str, pred: impl Fn(char) -> bool) -> Option<usize> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let plain: Vec<char> = chars.iter().map(|(_, c)| *c).collect();
    let mut depth = 0usize;
    let mut i = 0;
    while i < plain.len() {
        let c = plain[i];
        if depth == 0 && pred(c) {
            return Some(chars[i].0);
        }
        match c {
            '\'' | '"' => {
                i = string_end(&plain, i);
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Splits `text` at `separator`s that are outside strings and brackets.
fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = find_top_level(rest, |c| c == separator) {
        parts.push(&rest[..at]);
        rest = &rest[at + separator.len_utf8()..];
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests;
