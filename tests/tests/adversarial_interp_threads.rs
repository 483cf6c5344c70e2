//! Adversarial: threads and atexit hooks in subinterpreters. Stopping joins the
//! threads a broker started (README); a stop timeout bounds stop even when one never
//! ends, and the engine relaunches afterwards.

use std::time::{Duration, Instant};

use pime::{PyTask, Value};
use pime_tests::{s, task, within, PYTHON_DIR};

async fn start(stop_timeout: Option<Duration>) -> pime::Engine {
    let b = pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .interpreters(2)
        .broker("adversarial_interp_threads", "broker");
    let b = match stop_timeout {
        Some(t) => b.stop_timeout(t),
        None => b,
    };
    within(60, "start", b.start()).await.expect("starts")
}

async fn echo_ok() {
    assert_eq!(
        within(10, "echo", pime::call(task("echo", &[("value", s("x"))]))).await,
        Ok(Some(s("x")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn threads_left_behind() {
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    // 1. A thread that ends after 1 s: stop joins it (returns after it, not before;
    //    never a crash).
    let engine = start(None).await;
    let r = within(
        10,
        "finite",
        pime::call(task("finite_thread", &[("seconds", Value::F64(1.0))])),
    )
    .await;
    assert!(matches!(r, Ok(Some(Value::I64(_)))), "{r:?}");
    let r = within(10, "daemon", pime::call(PyTask::new0(s("daemon_thread")))).await;
    println!("daemon thread: {r:?}");
    let r = within(10, "raising", pime::call(PyTask::new0(s("raising_thread")))).await;
    assert_eq!(r, Ok(Some(s("joined"))));
    for _ in 0..4 {
        let r = within(10, "atexit", pime::call(PyTask::new0(s("atexit_raises")))).await;
        assert_eq!(r, Ok(Some(s("registered"))));
    }
    echo_ok().await;
    let begun = Instant::now();
    within(30, "stop joins", engine.stop()).await.unwrap();
    println!("stop with a 1 s thread took {:?}", begun.elapsed());

    // 2. Relaunch; an atexit hook that sleeps 0.5 s and a stop without timeout.
    let engine = start(None).await;
    echo_ok().await;
    let r = within(
        10,
        "atexit sleeps",
        pime::call(task("atexit_sleeps", &[("seconds", Value::F64(0.5))])),
    )
    .await;
    assert_eq!(r, Ok(Some(s("registered"))));
    within(30, "stop with atexit", engine.stop()).await.unwrap();

    // 3. A thread that never ends, with a stop timeout: stop returns by the deadline.
    let engine = start(Some(Duration::from_millis(500))).await;
    for _ in 0..2 {
        let r = within(10, "forever", pime::call(PyTask::new0(s("forever_thread")))).await;
        assert_eq!(r, Ok(Some(s("forever started"))));
    }
    echo_ok().await;
    let begun = Instant::now();
    within(10, "stop with a thread that never ends", engine.stop())
        .await
        .unwrap();
    let took = begun.elapsed();
    println!("stop with a never-ending thread took {took:?}");
    assert!(
        took < Duration::from_secs(3),
        "stop took {took:?}, stop timeout 500 ms"
    );
    assert!(!pime::is_engine_started());

    // 4. And the engine relaunches and serves.
    let engine = within(60, "relaunch", async {
        Ok::<_, ()>(start(Some(Duration::from_millis(500))).await)
    })
    .await
    .unwrap();
    echo_ok().await;
    within(10, "stop again", engine.stop()).await.unwrap();
}
