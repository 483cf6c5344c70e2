pub struct NotSerialize;

#[derive(Debug)]
pub struct NotDeserialize;

#[pime::python_module]
pub trait Types {
    async fn send(&self, value: NotSerialize) -> pime::Result<()>;
    async fn receive(&self) -> pime::Result<NotDeserialize>;
    async fn borrowed(&self) -> pime::Result<&'static str>;
}

fn main() {}
