// The trait's futures are `Send`, so a mock holding an `Rc` across an await fails.
use std::rc::Rc;

#[pime::python_module]
pub trait Greeter {
    async fn hello(&self, name: &str) -> pime::Result<String>;
}

struct Mock;

impl Greeter for Mock {
    async fn hello(&self, name: &str) -> pime::Result<String> {
        let shared = Rc::new(name.to_string());
        std::future::ready(()).await;
        Ok(shared.to_string())
    }
}

fn main() {}
