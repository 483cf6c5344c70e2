//! The generated items carry docs, so `#![deny(missing_docs)]` crates compile.
#![deny(missing_docs)]

/// A documented module.
#[pime::python_module(namespace = "docs")]
pub trait Documented {
    /// A documented command.
    async fn command(&self, value: u8) -> pime::Result<u8>;
}

fn main() {
    assert_eq!(DocumentedClient::COMMANDS, ["docs.command"]);
}
