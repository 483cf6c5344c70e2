//! A private trait gives a private client; a trait with supertraits the client meets.

#[pime::python_module(client = Hidden)]
trait Private: Send + Sync {
    async fn ping(&self) -> pime::Result<()>;
}

fn main() {
    let _future = Hidden.ping();
}
