#[pime::python_module]
pub trait NotAsync {
    fn hello(&self, name: String) -> pime::Result<String>;
}

fn main() {}
