#[pime::python_module]
pub trait Duplicates {
    async fn hello(&self) -> pime::Result<()>;
    #[pime(name = "hello")]
    async fn hi(&self) -> pime::Result<()>;
    async fn args(&self, kind: u8, #[pime(rename = "kind")] other: u8) -> pime::Result<()>;
}

fn main() {}
