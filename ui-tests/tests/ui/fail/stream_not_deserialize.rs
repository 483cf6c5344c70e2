//! A stream's item type must be `DeserializeOwned`: the error is on the item type.

#[derive(Debug)]
pub struct NotDeserialize;

#[pime::python_module]
pub trait Numbers {
    async fn items(&self) -> pime::Result<pime::PyStream<NotDeserialize>>;
    async fn borrowed(&self) -> pime::Result<pime::PyStream<&'static str>>;
    async fn fine(&self) -> pime::Result<pime::PyStream<Vec<u8>>>;
}

fn main() {}
