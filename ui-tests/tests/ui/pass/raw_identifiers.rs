//! Raw identifiers become their plain names in Python.

#[pime::python_module]
pub trait Raw {
    async fn r#match(&self, r#type: String, r#fn: u8) -> pime::Result<()>;
}

fn main() {
    assert_eq!(RawClient::COMMANDS, ["match"]);
    assert!(RawClient::PYTHON_STUB.contains("def match(type: str, fn: int) -> None:"));
    let _future = RawClient.r#match(String::new(), 1);
}
