//! Rules for the strings that reach Python (command names, namespaces, parameter keys),
//! the timeout syntax, and the did-you-mean suggestions of error messages.

/// Python's hard keywords: no function or parameter can be named like this.
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Whether `s` is a Python identifier (the ASCII rules plus Unicode letters and digits).
pub(crate) fn is_python_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) if first == '_' || first.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// `AppServices` -> `app_services`, for suggesting a module name.
pub(crate) fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                snake.push('_');
            }
            snake.extend(c.to_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

/// Whether `s` is a Python hard keyword.
pub(crate) fn is_python_keyword(s: &str) -> bool {
    PYTHON_KEYWORDS.contains(&s)
}

/// Checks one command name (or one namespace segment); `Err` says what is wrong.
pub(crate) fn check_command_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if !is_python_identifier(name) {
        return Err(format!("`{name}` is not a Python identifier"));
    }
    if is_python_keyword(name) {
        return Err(format!(
            "`{name}` is a Python keyword, so no Python function can have that name"
        ));
    }
    if name.starts_with("__") && name.ends_with("__") {
        return Err(format!(
            "`{name}` is a dunder name, and pime.Broker never dispatches to those"
        ));
    }
    if name.starts_with('_') {
        return Err(format!(
            "`{name}` starts with `_`, and pime.Broker never dispatches to private names"
        ));
    }
    Ok(())
}

/// Checks one parameter key (the Python keyword argument name).
pub(crate) fn check_param_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the parameter name is empty".into());
    }
    if !is_python_identifier(key) {
        return Err(format!("`{key}` is not a Python identifier"));
    }
    if is_python_keyword(key) {
        return Err(format!(
            "`{key}` is a Python keyword, so no Python function can take it as a parameter"
        ));
    }
    if key.starts_with("__") {
        return Err(format!(
            "`{key}` starts with `__`, and pime.Broker refuses such parameter names"
        ));
    }
    Ok(())
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= name.len().max(candidate.len()).div_ceil(3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Parses a timeout such as `"500ms"`, `"2s"` or `"1m"` into milliseconds.
pub(crate) fn parse_timeout_ms(text: &str) -> Result<u64, String> {
    const HOW: &str = "write a whole number and a unit: \"500ms\", \"2s\" or \"1m\"";
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: String = number.chars().filter(|c| *c != '_').collect();
    if number.is_empty() {
        return Err(format!("`{text}` has no number; {HOW}"));
    }
    let factor: u64 = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "" => return Err(format!("`{text}` has no unit; {HOW}")),
        other => return Err(format!("unknown unit `{other}` in `{text}`; {HOW}")),
    };
    let millis = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("`{text}` is too long a timeout"))?;
    if millis == 0 {
        return Err(format!(
            "a timeout of `{text}` would always expire; leave `timeout` out for no deadline"
        ));
    }
    Ok(millis)
}

/// Formats a millisecond count the way a user would write it.
pub(crate) fn format_ms(millis: u64) -> String {
    if millis % 60_000 == 0 {
        format!("{}m", millis / 60_000)
    } else if millis % 1_000 == 0 {
        format!("{}s", millis / 1_000)
    } else {
        format!("{millis}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_python_identifier("hello"));
        assert!(is_python_identifier("_x1"));
        assert!(is_python_identifier("größe"));
        assert!(!is_python_identifier(""));
        assert!(!is_python_identifier("1x"));
        assert!(!is_python_identifier("a-b"));
        assert!(!is_python_identifier("a.b"));
    }

    #[test]
    fn command_names() {
        assert!(check_command_name("hello").is_ok());
        assert!(check_command_name("type").is_ok());
        assert!(check_command_name("").is_err());
        assert!(check_command_name("class").unwrap_err().contains("keyword"));
        assert!(check_command_name("__init__")
            .unwrap_err()
            .contains("dunder"));
        assert!(check_command_name("_private")
            .unwrap_err()
            .contains("private"));
        assert!(check_command_name("two words").is_err());
    }

    #[test]
    fn param_keys() {
        assert!(check_param_key("_pime").is_ok());
        assert!(check_param_key("__pime").is_err());
        assert!(check_param_key("type").is_ok());
        assert!(check_param_key("lambda").is_err());
        assert!(check_param_key("a b").is_err());
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout_ms("500ms"), Ok(500));
        assert_eq!(parse_timeout_ms("2s"), Ok(2_000));
        assert_eq!(parse_timeout_ms("1m"), Ok(60_000));
        assert_eq!(parse_timeout_ms("1_500 ms"), Ok(1_500));
        assert!(parse_timeout_ms("0s")
            .unwrap_err()
            .contains("always expire"));
        assert!(parse_timeout_ms("5").unwrap_err().contains("no unit"));
        assert!(parse_timeout_ms("5h").unwrap_err().contains("unknown unit"));
        assert!(parse_timeout_ms("ms").unwrap_err().contains("no number"));
        assert!(parse_timeout_ms("1.5s").is_err());
        assert!(parse_timeout_ms("99999999999999999999s").is_err());
        assert_eq!(format_ms(500), "500ms");
        assert_eq!(format_ms(2_000), "2s");
        assert_eq!(format_ms(120_000), "2m");
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("helo", ["hello", "bye"]), Some("hello"));
        assert_eq!(did_you_mean("zzz", ["hello", "bye"]), None);
    }
}
