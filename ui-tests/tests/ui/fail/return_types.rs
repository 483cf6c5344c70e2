#[pime::python_module]
pub trait Returns {
    async fn missing(&self);
    async fn not_result(&self) -> String;
    async fn other_error(&self) -> Result<String, std::io::Error>;
}

fn main() {}
