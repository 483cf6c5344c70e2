#[pime::python_module]
pub trait Generic<T> {
    async fn a(&self) -> pime::Result<()>;
}

#[pime::python_module]
pub trait GenericMethod {
    async fn b<T: serde::Serialize>(&self, value: T) -> pime::Result<()>;
}

fn main() {}
