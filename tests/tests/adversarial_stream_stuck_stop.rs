//! stop_timeout while a stream's generator is stuck in time.sleep (pool, then a user
//! ThreadPoolExecutor): stop returns by the deadline and the stream's reader gets an
//! error (README matrix: "stop with a stream held ... the stream ends with an error";
//! "callers of tasks still queued or running after the deadline get an error").

use std::time::{Duration, Instant};

use pime::Value;
use pime_tests::{s, task, within, PYTHON_DIR};

async fn scenario(executor: bool, tag: &str) -> Option<String> {
    let mut b = pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker("adversarial_broker", "broker")
        .thread_pool(1, 2)
        .stop_timeout(Duration::from_millis(300));
    if executor {
        b = b.executor("adversarial_broker", "two_threads");
    }
    let engine = within(30, "start", b.start()).await.unwrap();
    let mut stream = within(
        10,
        "stream",
        pime::call_stream(task("gen_stuck", &[("tag", s(tag))])),
    )
    .await
    .unwrap();
    assert_eq!(
        within(10, "first", stream.next()).await,
        Some(Ok(Value::I64(1)))
    );
    let mut w = task("wait_started", &[("tag", s(tag))]);
    w.mark_exclusive();
    within(10, "stuck", pime::call(w)).await.unwrap();
    let reader = tokio::spawn(async move {
        let item = stream.next().await;
        (item, stream)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    within(10, "stop", engine.stop()).await.unwrap();
    let took = t.elapsed();
    eprintln!("{tag}: stop took {took:?}");
    let outcome = tokio::time::timeout(Duration::from_secs(5), reader).await;
    eprintln!("{tag}: {:?}", pime::stats());
    match outcome {
        Ok(Ok((Some(Err(e)), _))) => {
            eprintln!("{tag}: reader got {e}");
            None
        }
        Ok(Ok((item, _))) => Some(format!("{tag}: reader got {item:?}, not an error")),
        Ok(Err(e)) => Some(format!("{tag}: reader panicked {e}")),
        Err(_) => Some(format!(
            "{tag}: the stream's next() still pending 5 s after stop returned"
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_stream_at_stop_timeout() {
    let failures: Vec<String> = [
        scenario(false, "pool").await,
        scenario(true, "executor").await,
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
