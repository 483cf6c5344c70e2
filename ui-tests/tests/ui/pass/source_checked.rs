//! `source = ".."` with a Python module that provides every command and argument.

#[pime::python_module(source = "greeter.py")]
pub trait Greeter {
    async fn hello(&self, name: &str) -> pime::Result<String>;
    #[pime(name = "bye")]
    async fn goodbye(&self) -> pime::Result<String>;
    #[pime(no_wait)]
    async fn log(&self, line: String, level: u8) -> pime::Result<()>;
    async fn add(&self, a: i64, b: Option<i64>) -> pime::Result<i64>;
}

fn main() {}
