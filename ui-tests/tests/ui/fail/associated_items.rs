#[pime::python_module]
pub trait Items {
    type Output;
    const VERSION: u32;
    async fn a(&self) -> pime::Result<()>;
}

fn main() {}
