//! The full example: every method option, the generated items, a mock, spawned calls.

use pime::python_module;

#[python_module]
pub trait Greeter {
    /// Says hello.
    async fn hello(&self, name: &str) -> pime::Result<String>;
    #[pime(name = "bye")]
    async fn goodbye(&self) -> pime::Result<String>;
    #[pime(no_wait)]
    async fn log(&self, line: String) -> pime::Result<()>;
    #[pime(exclusive, timeout = "500ms")]
    async fn add(&self, a: i64, #[pime(rename = "type")] kind: String) -> pime::Result<i64>;
    async fn search(&self, q: String, limit: Option<u32>) -> pime::Result<Vec<String>>;
}

/// A hand-written implementation with plain `async fn`s, as a test would write it.
struct Mock;

impl Greeter for Mock {
    async fn hello(&self, name: &str) -> pime::Result<String> {
        Ok(format!("Hello, {name}!"))
    }
    async fn goodbye(&self) -> pime::Result<String> {
        Ok("Bye!".into())
    }
    async fn log(&self, _line: String) -> pime::Result<()> {
        Ok(())
    }
    async fn add(&self, a: i64, _kind: String) -> pime::Result<i64> {
        Ok(a)
    }
    async fn search(&self, q: String, _limit: Option<u32>) -> pime::Result<Vec<String>> {
        Ok(vec![q])
    }
}

/// Code written against the trait works with the client and the mock alike.
async fn greet(greeter: &impl Greeter) -> pime::Result<String> {
    greeter.hello("Rust").await
}

fn assert_send<T: Send>(_: &T) {}

#[allow(dead_code)]
async fn spawned() {
    let client = GreeterClient;
    let borrowed = String::from("borrowed");
    assert_send(&client.hello(&borrowed));
    let handle = tokio::spawn(async move { client.hello("x").await });
    let _ = handle.await;
    let _ = tokio::spawn(greet_owned(GreeterClient)).await;
    assert_send(&GreeterClient::verify());
    let _ = tokio::spawn(GreeterClient::verify()).await;
}

async fn greet_owned<G: Greeter + Send + Sync + 'static>(greeter: G) -> pime::Result<String> {
    greet(&greeter).await
}

fn main() {
    let client: GreeterClient = Default::default();
    let copy = client;
    let _ = format!("{client:?} {:?}", copy.clone());
    assert_eq!(
        GreeterClient::COMMANDS,
        ["hello", "bye", "log", "add", "search"]
    );
    assert!(GreeterClient::PYTHON_STUB.contains("def hello(name: str) -> str:"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(greet(&Mock)).unwrap(), "Hello, Rust!");
}
