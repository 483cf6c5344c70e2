//! Hot reload with `.interpreters(2)`: each interpreter re-imports the module before
//! the first task sent after `pime::reload()`; a module that fails to import is an
//! error and the broker keeps serving; `reload_module` switches every interpreter.

use std::collections::BTreeSet;

use pime::{ErrorKind, Value};
use pime_tests::{s, scratch_dir, task, within, PYTHON_DIR};

const MODULE: &str = "interp_reloadable";

fn write_version(dir: &std::path::Path, source: &str) {
    std::fs::write(dir.join(format!("{MODULE}.py")), source).unwrap();
}

fn version_source(version: i64) -> String {
    format!(
        "import time\n\
         VERSION = {version}\n\
         def broker(command, params):\n\
         \x20   end = time.monotonic() + params['seconds']\n\
         \x20   while time.monotonic() < end:\n\
         \x20       pass\n\
         \x20   return [VERSION, id(broker)]\n"
    )
}

/// `calls` concurrent calls, each busy for a moment so that both workers take some:
/// the versions they answered, and how many distinct broker objects answered.
async fn versions(calls: usize) -> (BTreeSet<i64>, usize) {
    let handles: Vec<_> = (0..calls)
        .map(|_| {
            tokio::spawn(pime::call(task(
                "version",
                &[("seconds", Value::F64(0.05))],
            )))
        })
        .collect();
    let mut versions = BTreeSet::new();
    let mut brokers = BTreeSet::new();
    for handle in handles {
        let answer = within(20, "version", handle).await.unwrap().unwrap();
        let Some(Value::Seq(parts)) = answer else {
            panic!("{answer:?}")
        };
        let (Value::I64(version), Value::I64(broker)) = (&parts[0], &parts[1]) else {
            panic!("{parts:?}")
        };
        versions.insert(*version);
        brokers.insert(*broker);
    }
    (versions, brokers.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_interpreter_reloads() {
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "interpreters-reload");
    write_version(&dir, &version_source(1));
    let engine = within(
        60,
        "start",
        pime::Engine::builder()
            .import_path(&dir)
            .import_path(PYTHON_DIR)
            .interpreters(2)
            .broker(MODULE, "broker")
            .start(),
    )
    .await
    .expect("starts");

    let (before, _) = versions(8).await;
    assert_eq!(before, BTreeSet::from([1]));

    write_version(&dir, &version_source(2));
    within(30, "reload", pime::reload()).await.expect("reloads");
    let (after, brokers) = versions(8).await;
    assert_eq!(
        after,
        BTreeSet::from([2]),
        "every interpreter serves the new module"
    );
    assert!(brokers >= 1);

    // A module that no longer imports: an error, and version 2 keeps serving.
    write_version(&dir, "def broker(:\n");
    let error = within(30, "broken reload", pime::reload())
        .await
        .expect_err("the module does not import");
    assert_eq!(error.kind, ErrorKind::ExecError, "{error}");
    let (kept, _) = versions(4).await;
    assert_eq!(kept, BTreeSet::from([2]));

    // Reloads while calls keep coming: every call is answered, by some version; once
    // the last reload has returned, every call gets the last version.
    let load = tokio::spawn(async {
        let mut answered = 0;
        while answered < 400 {
            let (versions, _) = versions(4).await;
            assert!(!versions.is_empty());
            answered += 4;
        }
    });
    for version in 3..=8 {
        write_version(&dir, &version_source(version));
        within(30, "reload under load", pime::reload())
            .await
            .expect("reloads");
        let (now, _) = versions(4).await;
        assert_eq!(
            now,
            BTreeSet::from([version]),
            "right after reload {version}"
        );
    }
    within(60, "the calls under load", load).await.unwrap();

    // Another module, in every interpreter.
    within(
        30,
        "reload_module",
        pime::reload_module("interp_broker", "broker"),
    )
    .await
    .expect("switches");
    let mut seen = BTreeSet::new();
    for _ in 0..8 {
        let echoed = within(10, "echo", pime::call(task("echo", &[("value", s("x"))])))
            .await
            .unwrap();
        seen.insert(format!("{echoed:?}"));
    }
    assert_eq!(seen, BTreeSet::from([format!("{:?}", Some(s("x")))]));
    within(30, "stop", engine.stop()).await.unwrap();
}
