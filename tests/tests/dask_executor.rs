//! Broker calls run on a real Dask cluster (scheduler + two workers on 127.0.0.1),
//! through `client.get_executor()`; a worker killed mid-run costs no task and no hang.

use std::time::Duration;

use pime::Value;
use pime_tests::dask_cluster::{dask_packages, DaskCluster};
use pime_tests::{call_ok, s, scratch_dir, task, PYTHON_DIR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dask_workers_run_the_broker_and_survive_a_crash() {
    let packages = dask_packages(env!("CARGO_TARGET_TMPDIR"));
    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "dask-cluster");
    let mut cluster = DaskCluster::start(&dir, &packages, PYTHON_DIR);
    // SAFETY: set before the engine (and any other thread reading the environment) starts.
    unsafe { std::env::set_var("PIME_DASK_SCHEDULER_FILE", &cluster.scheduler_file) };

    let engine = tokio::time::timeout(
        Duration::from_secs(120),
        pime::Engine::builder()
            .import_path(&packages)
            .import_path(PYTHON_DIR)
            .executor("daskmod", "executor")
            .broker("daskmod", "broker")
            .start(),
    )
    .await
    .expect("connected to the cluster in time")
    .expect("the engine starts");

    // Calls run in the worker processes, not here.
    let Value::Map(place) = call_ok("where", &[]).await else {
        panic!("a dict")
    };
    assert!(
        matches!(&place[&s("worker")], Value::String(n) if n == "w0" || n == "w1"),
        "{place:?}"
    );
    assert_ne!(place[&s("pid")], Value::I64(i64::from(std::process::id())));

    // 12 slow calls on 2 workers x 2 threads; worker w0 dies while they run.
    let calls: Vec<_> = (0..12i64)
        .map(|n| {
            let params = [("n", Value::I64(n)), ("seconds", Value::F64(0.5))];
            tokio::spawn(pime::call(task("slow_square", &params)))
        })
        .collect();
    // Fault injection, not synchronisation: whenever the kill lands, no call may be lost.
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.kill_worker("w0");
    for (n, call) in calls.into_iter().enumerate() {
        let outcome = tokio::time::timeout(Duration::from_secs(60), call)
            .await
            .expect("no hang after the crash")
            .unwrap();
        assert_eq!(outcome, Ok(Some(Value::I64((n * n) as i64))), "call {n}");
    }
    let Value::Map(place) = call_ok("where", &[]).await else {
        panic!("a dict")
    };
    assert_eq!(place[&s("worker")], s("w1"), "only w1 is left");
    engine.stop().await.unwrap();
}
