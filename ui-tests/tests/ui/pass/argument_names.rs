//! Argument names that could clash with names in the generated code.

#[pime::python_module]
pub trait Names {
    async fn clash(
        &self,
        params: u8,
        task: u8,
        _pime: u8,
        #[pime(rename = "dunder_pime")] __pime: u8,
        call: u8,
        command: u8,
        value: u8,
        result: u8,
        decode: u8,
        pime: u8,
    ) -> pime::Result<u8>;
    async fn call(&self) -> pime::Result<()>;
    async fn send(&self) -> pime::Result<()>;
    async fn new(&self) -> pime::Result<()>;
}

fn main() {
    let _future = NamesClient.clash(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    assert_eq!(NamesClient::COMMANDS, ["clash", "call", "send", "new"]);
    assert!(NamesClient::PYTHON_STUB.contains(
        "def clash(params: int, task: int, _pime: int, dunder_pime: int, call: int, \
         command: int, value: int, result: int, decode: int, pime: int) -> int:"
    ));
}
