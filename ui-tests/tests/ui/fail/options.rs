#[pime::python_module(clinet = Client)]
pub trait Unknown {
    async fn a(&self) -> pime::Result<()>;
}

#[pime::python_module(client = A, client = B)]
pub trait Duplicate {
    async fn a(&self) -> pime::Result<()>;
}

#[pime::python_module(client = "Quoted", namespace = greeter, crate = 5, source = 1)]
pub trait BadValues {
    async fn a(&self) -> pime::Result<()>;
}

#[pime::python_module(namespace = "my-module")]
pub trait BadNamespace {
    async fn a(&self) -> pime::Result<()>;
}

fn main() {}
