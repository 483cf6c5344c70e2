// Several mistakes in one trait are reported together, and code using the trait
// and the client sees no follow-on errors.

#[pime::python_module]
pub trait Greeter {
    fn hello(&self, name: &str) -> pime::Result<String>;
    async fn bye(&mut self) -> pime::Result<String>;
    #[pime(timeout = "soon")]
    async fn add(&self, a: i64, _: i64) -> pime::Result<i64>;
}

fn uses<G: Greeter>(_: &G) {}

fn main() {
    let _ = GreeterClient::COMMANDS;
    let _ = GreeterClient;
    let _ = uses::<GreeterClient>;
}
