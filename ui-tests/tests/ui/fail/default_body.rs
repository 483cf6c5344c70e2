#[pime::python_module]
pub trait WithBody {
    async fn hello(&self, name: String) -> pime::Result<String> {
        Ok(name)
    }
}

fn main() {}
