//! `#[cfg]` on a method removes it from the trait, the client, COMMANDS and the stub.

#[pime::python_module]
pub trait Conditional {
    #[cfg(any())]
    async fn never(&self, x: NotEvenAType) -> pime::Result<()>;
    #[cfg(all())]
    async fn always(&self) -> pime::Result<()>;
    /// Deprecated commands still work.
    #[deprecated = "use always"]
    async fn old(&self) -> pime::Result<()>;
}

fn main() {
    assert_eq!(ConditionalClient::COMMANDS, ["always", "old"]);
    assert!(!ConditionalClient::PYTHON_STUB.contains("never"));
    assert!(ConditionalClient::PYTHON_STUB.contains("def always() -> None:"));
    let _future = ConditionalClient.always();
}
