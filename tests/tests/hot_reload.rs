//! Hot reload: change the broker's file on disk, `pime::reload()`, and the next call
//! runs the new code while a call already running finishes on the old one.

use std::time::Duration;

use pime::{ErrorKind, Value};
use pime_tests::{s, scratch_dir, spawn_sent, task};

fn write_plugin(dir: &std::path::Path, version: &str) {
    let source = format!(
        "import time\n\
         def broker(command, params):\n\
         \x20   if command == 'slow':\n\
         \x20       time.sleep(params['seconds'])\n\
         \x20   return {version:?}\n"
    );
    std::fs::write(dir.join("hot_plugin.py"), source).unwrap();
}

async fn version(command: &str) -> Value {
    let seconds = Value::F64(0.5);
    pime::call(task(command, &[("seconds", seconds)]))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_swaps_the_broker_for_new_tasks() {
    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "hot-reload");
    write_plugin(&dir, "one");
    let engine = pime::Engine::builder()
        .import_path(&dir)
        .thread_pool(2, 2)
        .broker("hot_plugin", "broker")
        .start()
        .await
        .unwrap();
    assert_eq!(version("fast").await, s("one"));

    // Running on the old code while the reload happens.
    let running = spawn_sent(task("slow", &[("seconds", Value::F64(0.5))])).await;
    write_plugin(&dir, "two, longer");
    pime::reload().await.unwrap();
    assert_eq!(version("fast").await, s("two, longer"));
    assert_eq!(running.await.unwrap(), Ok(Some(s("one"))));

    // A broken file: the reload fails clearly and the current broker keeps serving.
    std::fs::write(dir.join("hot_plugin.py"), "def broker(:\n").unwrap();
    let error = pime::reload().await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::ExecError);
    assert_eq!(error.exception.as_deref(), Some("SyntaxError"));
    assert!(
        error.message.contains("cannot reload hot_plugin.broker"),
        "{error}"
    );
    assert_eq!(version("fast").await, s("two, longer"));

    // Another module altogether.
    std::fs::write(
        dir.join("other_plugin.py"),
        "def serve(command, params):\n    return 'other'\n",
    )
    .unwrap();
    pime::reload_module("other_plugin", "serve").await.unwrap();
    assert_eq!(version("fast").await, s("other"));

    tokio::time::timeout(Duration::from_secs(10), engine.stop())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        pime::reload().await.unwrap_err().kind,
        ErrorKind::PySyncEngineStateError
    );
}
