#[pime::python_module]
pub trait Receivers {
    async fn none(name: String) -> pime::Result<()>;
    async fn mutable(&mut self) -> pime::Result<()>;
    async fn by_value(self) -> pime::Result<()>;
}

fn main() {}
