#[pime::python_module(source = "no/such/module.py")]
pub trait Greeter {
    async fn hello(&self, name: &str) -> pime::Result<String>;
}

fn main() {}
