// The rules on a host module's methods.

use std::collections::BTreeMap;

#[pime::host_module(module = "app")]
pub trait App {
    fn borrowed(&self, name: &str) -> pime::Result<String>;
    async fn streams(&self) -> pime::Result<pime::PyStream<u32>>;
    fn aio(&self) -> pime::Result<()>;
    #[pime(no_wait)]
    fn no_wait(&self) -> pime::Result<()>;
    fn owned_self(self) -> pime::Result<()>;
    fn generic<T>(&self, value: T) -> pime::Result<()>;
    fn with_body(&self) -> pime::Result<()> {
        Ok(())
    }
    fn no_result(&self) -> String;
    #[pime(name = "twice")]
    fn first(&self) -> pime::Result<()>;
    #[pime(name = "twice")]
    fn second(&self) -> pime::Result<()>;
    fn _private(&self, map: BTreeMap<String, u8>) -> pime::Result<()>;
}

fn main() {}
