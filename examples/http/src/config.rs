//! Which port to listen on.

/// The port when neither the first argument nor `$PORT` gives one.
pub const DEFAULT_PORT: u16 = 8080;

/// The port from the first command-line argument, else the `PORT` environment
/// variable, else [`DEFAULT_PORT`]. `0` asks the OS for a free port.
pub fn port() -> Result<u16, String> {
    port_from(std::env::args().nth(1), std::env::var("PORT").ok())
}

/// [`port`] without the process environment, so it can be tested.
fn port_from(argument: Option<String>, env: Option<String>) -> Result<u16, String> {
    let (text, source) = match (argument, env) {
        (Some(argument), _) => (argument, "the first argument"),
        (None, Some(env)) => (env, "$PORT"),
        (None, None) => return Ok(DEFAULT_PORT),
    };
    text.trim().parse().map_err(|_| {
        format!("{source} must be a port number (0-65535, 0 = any free port), not {text:?}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    #[test]
    fn the_argument_wins_over_the_environment() {
        assert_eq!(port_from(some("9000"), some("9001")), Ok(9000));
        assert_eq!(port_from(None, some("9001")), Ok(9001));
        assert_eq!(port_from(None, None), Ok(DEFAULT_PORT));
        assert_eq!(port_from(some("0"), None), Ok(0));
    }

    #[test]
    fn a_bad_port_names_its_source() {
        let error = port_from(None, some("http")).unwrap_err();
        assert!(
            error.contains("$PORT") && error.contains("\"http\""),
            "{error}"
        );
        let error = port_from(some("70000"), None).unwrap_err();
        assert!(error.contains("first argument"), "{error}");
    }
}
