#[pime::python_module]
pub trait Options {
    #[pime(no_wait)]
    async fn log(&self, line: String) -> pime::Result<bool>;
    #[pime(timeout = "5 seconds")]
    async fn slow(&self) -> pime::Result<()>;
    #[pime(exclusive = true, nmae = "x")]
    async fn typo(&self) -> pime::Result<()>;
    async fn arg(&self, #[pime(name = "x")] a: u8) -> pime::Result<()>;
}

fn main() {}
