#[pime::python_module]
pub trait Patterns {
    async fn tuple(&self, (a, b): (u8, u8)) -> pime::Result<()>;
    async fn wild(&self, _: u8) -> pime::Result<()>;
    async fn impl_trait(&self, name: impl Into<String>) -> pime::Result<()>;
}

fn main() {}
