#[pime::python_module(source = "greeter.py")]
pub trait Greeter {
    async fn helo(&self, name: &str) -> pime::Result<String>;
    async fn hello(&self, nmae: &str) -> pime::Result<String>;
    async fn add(&self, b: i64) -> pime::Result<i64>;
    async fn missing(&self) -> pime::Result<()>;
}

fn main() {}
