//! The seed README program, on PyO3 0.30: the main thread hands the GIL to the PIME
//! engine, while tokio tasks on other threads call the Python broker in parallel.

use std::collections::BTreeMap;
use std::time::Instant;

use pime::{PyTask, Value};
use pyo3::prelude::*;

fn task(command: &str, params: &[(&str, Value)]) -> PyTask {
    let params: BTreeMap<String, Value> = params
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    PyTask::new(Value::String(command.into()), params)
}

async fn run_calls() -> pime::Result<()> {
    pime::wait_online().await;

    let greeting = pime::call(task("hello", &[("name", Value::String("Rust".into()))])).await?;
    println!("{greeting:?}");

    // Ten blocking `time.sleep(0.5)` calls run in parallel on the thread pool.
    let started = Instant::now();
    let sleeps: Vec<_> = (0..10)
        .map(|_| tokio::spawn(pime::call(task("sleep", &[("seconds", Value::F64(0.5))]))))
        .collect();
    for sleep in sleeps {
        sleep.await.expect("the task panicked")?;
    }
    println!("10 x sleep(0.5) took {:.2?}", started.elapsed());

    // Exclusive: run inline on the engine thread, no thread-pool hop.
    let mut add = task("add", &[("a", Value::I64(2)), ("b", Value::I64(40))]);
    add.mark_exclusive();
    println!("2 + 40 = {:?}", pime::call(add).await?);

    // A broker exception arrives as an error with the Python class and message.
    let error = pime::call(task("nope", &[])).await.unwrap_err();
    println!(
        "error: {} {}",
        error.exception.as_deref().unwrap_or("?"),
        error.message
    );

    pime::stop().await
}

fn main() -> Result<(), pime::Error> {
    let calls = std::thread::spawn(|| {
        let runtime = tokio::runtime::Runtime::new().expect("cannot start tokio");
        runtime.block_on(run_calls())
    });

    Python::attach(|py| {
        let engine = pime::PySyncEngine::new(py)?;
        engine.add_import_path(env!("CARGO_MANIFEST_DIR"))?;
        engine.set_thread_pool_size(10, 10)?;
        let broker = py
            .import("mymod")
            .and_then(|module| module.getattr("broker"))
            .map_err(|e| pime::Error::new(pime::ErrorKind::ExecError, e.to_string()))?;
        engine.launch(py, &broker) // returns after pime::stop()
    })?;

    calls.join().expect("the calls thread panicked")
}
