#[pime::python_module]
pub trait Names {
    #[pime(name = "")]
    async fn empty(&self) -> pime::Result<()>;
    #[pime(name = "say hello")]
    async fn spaces(&self) -> pime::Result<()>;
    #[pime(name = "__call__")]
    async fn dunder(&self) -> pime::Result<()>;
    async fn _private(&self) -> pime::Result<()>;
    async fn keyword(&self, #[pime(rename = "class")] class_name: String) -> pime::Result<()>;
}

fn main() {}
