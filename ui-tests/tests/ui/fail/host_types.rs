// Arguments must decode from Python values, results must serialize.

pub struct Opaque;

#[pime::host_module(module = "app")]
pub trait App {
    fn takes(&self, value: Opaque) -> pime::Result<()>;
    async fn returns(&self) -> pime::Result<Opaque>;
}

fn main() {}
