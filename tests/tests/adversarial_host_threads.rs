//! Adversarial: host functions called from threads the broker starts itself - a
//! `threading.Thread`, a `ThreadPoolExecutor` inside the broker, `asyncio.run` in a
//! broker thread (a second event loop) - on `.thread_pool(1, 1)`; and a broker thread
//! whose host call calls back into Python while the pool's only worker waits for that
//! thread in `join()` (not in a host call, so it lends no place: documented).
//!
//! README: "A sync call drives it from the calling thread with the GIL released";
//! "Only a worker waiting *in a host call* lends its place".

use std::time::Instant;

use pime::Value;
use pime_tests::host_support::{bounded, call_within, stop_app};
use pime_tests::{s, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_calls_from_broker_threads() {
    let engine = stop_app::start((1, 1), 3, "v").await;
    let mut problems = Vec::new();

    let mut with_context = task("from_thread", &[]);
    with_context.set_context("request_id", s("r1"));
    let from_thread = bounded("from_thread", 15, pime::call(with_context)).await;
    eprintln!("from_thread: {from_thread:?}");
    match &from_thread {
        Ok(Some(Value::Map(m)))
            if m.get(&s("v")) == Some(&s("v")) && m.get(&s("u")) == Some(&s("t")) => {}
        other => problems.push(format!("from a threading.Thread: {other:?}")),
    }

    let from_executor = call_within(20, "from_executor", &[("n", Value::U64(50))]).await;
    let expected = Value::Seq((0..50).map(|i| s(&i.to_string())).collect());
    if from_executor != Ok(Some(expected)) {
        problems.push(format!("from a ThreadPoolExecutor: {from_executor:?}"));
    }

    let other_loop = call_within(15, "aio_from_other_loop", &[]).await;
    eprintln!("aio in asyncio.run of a broker thread: {other_loop:?}");
    if other_loop != Ok(Some(Value::Map([(s("v"), s("x"))].into_iter().collect()))) {
        problems.push(format!(
            "aio in asyncio.run of a broker thread: {other_loop:?}"
        ));
    }

    // Last: may stall the only worker for the command's 8 s join timeout.
    let started = Instant::now();
    let nested = call_within(30, "nested_from_thread", &[]).await;
    let took = started.elapsed();
    eprintln!("nested_from_thread: {nested:?} in {took:?}");
    // Documented (README, host modules): the only worker blocks in Python (`join`),
    // not in a host call, so it lends no place; the thread's nested call waits until
    // the join gives up. It must not hang, and the engine must serve afterwards.
    let documented = Ok(Some(s("thread still running after 8 s")));
    if nested != documented
        && nested != Ok(Some(Value::Map([(s("v"), s("v"))].into_iter().collect())))
    {
        problems.push(format!(
            "a broker thread's nested host call while the only worker joins it: {nested:?} after {took:?}"
        ));
    }
    let alive = call_within(15, "quick", &[]).await;
    assert_eq!(alive, Ok(Some(s("v"))));
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
