//! The typed layer against a real broker: every kind of method, the error kinds,
//! spawned calls, namespaces, `verify`, and code generic over the trait.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pime::{python_module, ErrorKind};
use serde::{Deserialize, Serialize};

/// The module in `tests/python/typed_greeter.py` (checked while compiling).
#[python_module(source = "python/typed_greeter.py")]
pub trait Greeter {
    /// Says hello.
    async fn hello(&self, name: &str) -> pime::Result<String>;
    #[pime(name = "bye")]
    async fn goodbye(&self) -> pime::Result<String>;
    #[pime(no_wait)]
    async fn log(&self, line: String) -> pime::Result<()>;
    async fn logged(&self, count: u32, timeout: f64) -> pime::Result<Vec<String>>;
    #[pime(exclusive, timeout = "5s")]
    async fn add(&self, a: i64, #[pime(rename = "type")] kind: String) -> pime::Result<i64>;
    async fn search(&self, q: String, limit: Option<u32>) -> pime::Result<Vec<String>>;
    #[pime(timeout = "200ms")]
    async fn sleep(&self, seconds: f64) -> pime::Result<String>;
    async fn fail(&self, message: &str) -> pime::Result<()>;
    async fn params_of(
        &self,
        a: Option<i64>,
        b: Option<String>,
        c: (),
    ) -> pime::Result<BTreeMap<String, String>>;
    async fn echo(&self, value: Point) -> pime::Result<Point>;
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Point {
    x: f64,
    y: f64,
    label: Option<String>,
}

/// Calls that go wrong on the Rust side of the boundary.
#[python_module(client = Mismatched)]
pub trait Mismatch {
    /// `hello` returns a str, not an int.
    #[pime(name = "hello")]
    async fn hello_as_int(&self, name: &str) -> pime::Result<i64>;
    /// `echo` of a value whose `Serialize` fails.
    async fn echo(&self, value: Unserializable) -> pime::Result<()>;
}

/// Its `Serialize` always fails.
pub struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this value refuses to be serialized",
        ))
    }
}

/// Commands registered under `greeter.` in the broker.
#[python_module(namespace = "greeter")]
pub trait Namespaced {
    async fn hello(&self, name: &str) -> pime::Result<String>;
}

/// A module the broker only half provides.
#[python_module]
pub trait HalfThere {
    async fn hello(&self, name: &str) -> pime::Result<String>;
    async fn not_there(&self) -> pime::Result<()>;
    #[pime(name = "also_missing")]
    async fn missing_too(&self) -> pime::Result<()>;
}

/// Code written against the trait, run with the real client here and with a mock in
/// `typed_offline.rs`.
async fn greet_all<G: Greeter>(greeter: &G, names: &[&str]) -> pime::Result<Vec<String>> {
    let mut greetings = Vec::new();
    for name in names {
        greetings.push(greeter.hello(name).await?);
    }
    Ok(greetings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_calls_against_a_real_broker() {
    let engine = pime_tests::start("typed_greeter", 2, 8).await;
    let client = GreeterClient;

    // verify: the broker serves every command of the trait.
    GreeterClient::verify()
        .await
        .expect("typed_greeter serves Greeter");
    NamespacedClient::verify().await.expect("and greeter.hello");
    let missing = HalfThereClient::verify().await.unwrap_err();
    assert_eq!(missing.kind, ErrorKind::ExecError);
    assert!(
        missing
            .message
            .ends_with("does not serve 2 of 3 commands: not_there, also_missing"),
        "{}",
        missing.message
    );

    // Plain calls, a renamed command, an async Python command.
    assert_eq!(client.hello("Rust").await.unwrap(), "Hello, Rust!");
    assert_eq!(client.goodbye().await.unwrap(), "Bye!");
    assert_eq!(
        greet_all(&client, &["a", "b"]).await.unwrap(),
        ["Hello, a!", "Hello, b!"]
    );
    assert_eq!(
        NamespacedClient.hello("ns").await.unwrap(),
        "Hello from the namespace, ns!"
    );

    // no_wait returns at once and the broker still runs it. (The three run on the
    // pool at once, so in any order.)
    for i in 0..3 {
        assert_eq!(client.log(format!("line {i}")).await, Ok(()));
    }
    let mut logged = client.logged(3, 10.0).await.unwrap();
    logged.sort();
    assert_eq!(logged, ["line 0", "line 1", "line 2"]);

    // exclusive with a renamed argument (`type` is the Python name).
    assert_eq!(client.add(21, "double".into()).await.unwrap(), 42);
    assert_eq!(client.add(5, "plain".into()).await.unwrap(), 5);

    // An Option that is None is left out, so the Python default applies; `()` is sent.
    assert_eq!(
        client.search("q".into(), None).await.unwrap(),
        ["q0", "q1", "q2"]
    );
    assert_eq!(client.search("q".into(), Some(1)).await.unwrap(), ["q0"]);
    let sent = client.params_of(None, Some("x".into()), ()).await.unwrap();
    assert_eq!(
        sent,
        BTreeMap::from([
            ("b".to_string(), "'x'".to_string()),
            ("c".to_string(), "None".to_string()),
        ])
    );

    // Structs go through as dicts and come back.
    let point = Point {
        x: 1.5,
        y: -2.0,
        label: None,
    };
    assert_eq!(client.echo(point.clone()).await.unwrap(), point);

    // A Python exception keeps its class, message and traceback.
    let error = client.fail("boom").await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::PyException);
    assert_eq!(error.exception.as_deref(), Some("ValueError"));
    assert!(error.message.contains("boom"), "{error}");
    assert!(error.traceback.is_some());

    // A result of the wrong type names the command and the Rust type.
    let error = Mismatched.hello_as_int("x").await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::UnpackError);
    assert!(
        error
            .message
            .starts_with("hello: the result (a str) does not decode into `i64`"),
        "{}",
        error.message
    );
    // An argument that cannot be serialized never reaches Python.
    let error = Mismatched.echo(Unserializable).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::PackError);
    assert_eq!(
        error.message,
        "echo: cannot serialize argument `value`: this value refuses to be serialized"
    );

    // The per-method timeout gives a Timeout error, and the engine keeps serving.
    let started = Instant::now();
    let error = client.sleep(2.0).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_eq!(error.message, "sleep: no result within 200ms");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(client.hello("after").await.unwrap(), "Hello, after!");

    // Client futures are Send + 'static once the arguments are owned: spawn many.
    let handles: Vec<_> = (0..64)
        .map(|i| tokio::spawn(async move { GreeterClient.hello(&format!("n{i}")).await }))
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.await.unwrap().unwrap(), format!("Hello, n{i}!"));
    }

    engine.stop().await.unwrap();
}
