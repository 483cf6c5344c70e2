#[pime::python_module]
pub struct Greeter;

#[pime::python_module]
fn hello() {}

fn main() {
    let _ = Greeter;
    hello();
}
