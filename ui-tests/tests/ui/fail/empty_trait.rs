#[pime::python_module]
pub trait Empty {}

fn main() {}
