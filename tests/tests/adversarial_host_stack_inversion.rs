//! Adversarial: two independent tasks that hand off to each other through the host, on
//! `.thread_pool(2, 2)`. A worker that ran the next queued task *on its own stack*
//! while it waited in a host call (as PIME once did) could not return from that host
//! call until the task ended: the two then deadlocked, where without host modules (two
//! free workers) they complete. README, Host modules: "The waiting thread runs nothing
//! else meanwhile".
//!
//! `first`: waits for gate a, then opens b. `second`: opens a, then waits for b.
//! The pool's other worker is busy in `time.sleep(1.5)` when `second` is sent: `second`
//! must run on a worker started in `first`'s lent place, or on the other worker after
//! 1.5 s, and both must finish.

use std::time::Duration;

use pime::Value;
use pime_tests::host_support::{answer, bounded, nest_app};
use pime_tests::task;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handing_off_tasks_on_a_pool_of_two() {
    let engine =
        nest_app::start(|b| b.thread_pool(2, 2).stop_timeout(Duration::from_secs(3))).await;
    // Warm both workers up.
    let warm: Vec<_> = (0..2)
        .map(|_| tokio::spawn(pime::call(task("sleepy", &[("seconds", Value::F64(0.2))]))))
        .collect();
    for w in warm {
        bounded("warm-up", 10, w).await.unwrap().unwrap();
    }

    let first = pime_tests::spawn_sent(task("first", &[])).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The other worker is busy for 1.5 s in plain Python (not a host call).
    let sleepy = pime_tests::spawn_sent(task("sleepy", &[("seconds", Value::F64(1.5))])).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = pime_tests::spawn_sent(task("second", &[])).await;
    let outcome = answer(10, async {
        (
            first.await.unwrap(),
            second.await.unwrap(),
            sleepy.await.unwrap(),
        )
    })
    .await;
    let stopped = answer(10, engine.stop()).await;
    eprintln!("stop after the scenario: {stopped:?}");
    let (first, second, _sleepy) = outcome.expect(
        "first/second did not finish within 10 s on a pool of 2 (did the worker waiting \
         in `first`'s host call pick up `second` on its own stack?)",
    );
    assert_eq!(first.unwrap(), Some(pime_tests::s("first done")));
    assert_eq!(second.unwrap(), Some(pime_tests::s("second done")));
    stopped.expect("stop returns").unwrap();
}
