//! A streaming method takes no `no_wait`, `timeout` or `exclusive`; `impl Stream`
//! results point to `PyStream`.

#[pime::python_module]
pub trait Numbers {
    #[pime(no_wait)]
    async fn count(&self, n: u32) -> pime::Result<pime::PyStream<u32>>;
    #[pime(timeout = "2s")]
    async fn slow(&self) -> pime::Result<pime::PyStream<u32>>;
    #[pime(exclusive)]
    async fn inline(&self) -> pime::Result<pime::PyStream<u32>>;
    async fn opaque(&self) -> pime::Result<impl futures::Stream<Item = pime::Result<u32>>>;
}

fn main() {}
