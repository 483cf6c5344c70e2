//! The hello example with the typed layer: the Python module is declared as a Rust
//! trait, `#[pime::python_module]` generates `GreeterClient`, and the compiler checks
//! the command and argument names against `greeter.py`.
//!
//! Run with `cargo run -p typed`.

use std::time::Instant;

use pime::python_module;

/// The commands of `greeter.py` (beside this crate's Cargo.toml).
#[python_module(source = "greeter.py")]
pub trait Greeter {
    /// Greets `name`, saying which Python thread answered.
    async fn hello(&self, name: &str) -> pime::Result<String>;
    /// Blocks a Python worker thread for `seconds`.
    async fn sleep(&self, seconds: f64) -> pime::Result<f64>;
    /// Adds inline on the engine thread: no thread-pool hop.
    #[pime(exclusive)]
    async fn add(&self, a: i64, b: i64) -> pime::Result<i64>;
    /// Logs a line; the caller does not wait. `level` is left out when `None`, so
    /// Python's default applies.
    #[pime(no_wait)]
    async fn log(&self, line: String, level: Option<&str>) -> pime::Result<()>;
    /// Says goodbye, within two seconds.
    #[pime(name = "bye", timeout = "2s")]
    async fn goodbye(&self) -> pime::Result<String>;
    /// Counts down from `start`: Python yields the numbers one by one, and they arrive
    /// as a stream while the generator runs.
    async fn countdown(&self, start: u32) -> pime::Result<pime::PyStream<u32>>;
}

#[tokio::main]
async fn main() -> pime::Result<()> {
    let engine = pime::Engine::builder()
        .import_path(env!("CARGO_MANIFEST_DIR"))
        .thread_pool(10, 10)
        .broker("greeter", "broker")
        .start()
        .await?;
    // Fails, listing them, if the running broker lacks any of the trait's commands.
    GreeterClient::verify().await?;

    let greeter = GreeterClient;
    println!("{}", greeter.hello("Rust").await?);

    // Ten blocking `time.sleep(0.5)` calls run in parallel on the thread pool.
    let started = Instant::now();
    let sleeps: Vec<_> = (0..10)
        .map(|_| tokio::spawn(async move { GreeterClient.sleep(0.5).await }))
        .collect();
    for sleep in sleeps {
        sleep.await.expect("the task panicked")?;
    }
    println!("10 x sleep(0.5) took {:.2?}", started.elapsed());

    println!("2 + 40 = {}", greeter.add(2, 40).await?);
    greeter.log("fire and forget".into(), None).await?;
    greeter.log("with a level".into(), Some("debug")).await?;

    // A Python exception arrives as an error with the class name and message.
    let error = greeter.hello("").await.unwrap_err();
    println!(
        "error: {} {}",
        error.exception.as_deref().unwrap_or("?"),
        error.message
    );

    // A generator's items, decoded into u32 as they arrive. Dropping the stream early
    // would close the generator.
    let mut countdown = greeter.countdown(3).await?;
    while let Some(number) = countdown.next().await {
        println!("countdown: {}", number?);
    }

    println!("{}", greeter.goodbye().await?);
    engine.stop().await
}
