#[pime::python_module]
pub trait Clash {
    async fn verify(&self) -> pime::Result<()>;
    async fn clone(&self) -> pime::Result<()>;
}

fn main() {}
