//! Adversarial: 20 failed starts (one of four subinterpreters fails to import the
//! broker) leak no threads, and no memory beyond what CPython itself keeps of every
//! ended interpreter (measured in the same process); a tiny queue bound on one
//! interpreter loses no call.

use std::time::Duration;

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{raw_interpreter_leak_mib, resident_mib, s, task, within, PYTHON_DIR};

/// MiB per ended interpreter PIME may keep: CPython's own (`raw`), with some slack.
fn allowed(raw: f64) -> f64 {
    raw * 1.5 + 1.0
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_starts_leave_nothing() {
    let slots = pime_tests::scratch_dir(env!("CARGO_TARGET_TMPDIR"), "adv-interp-failed-slots");
    std::env::set_var("PIME_ADV_SLOTS", &slots);
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    let mut rss = Vec::new();
    let mut thread_counts = Vec::new();
    for i in 0..20 {
        for entry in std::fs::read_dir(&slots).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        let outcome = within(
            60,
            "failing start",
            pime::Engine::builder()
                .import_path(PYTHON_DIR)
                .interpreters(4)
                .broker("adversarial_interp_nth_fails", "broker")
                .start(),
        )
        .await;
        let e = outcome
            .err()
            .unwrap_or_else(|| panic!("start {i} succeeded"));
        assert_eq!(e.kind, ErrorKind::ExecError);
        assert!(!pime::is_engine_started());
        tokio::time::sleep(Duration::from_millis(20)).await;
        rss.push(resident_mib());
        thread_counts.push(threads());
    }
    println!("rss {rss:.1?}");
    println!("threads {thread_counts:?}");
    assert!(
        thread_counts[19] <= thread_counts[2] + 1,
        "threads leaked by failed starts: {thread_counts:?}"
    );
    let mut defects = Vec::new();
    let raw = raw_interpreter_leak_mib("import asyncio, dataclasses, logging, traceback", 16);
    println!("CPython alone keeps {raw:.2} MiB per ended interpreter");
    let per_interpreter = (rss[19] - rss[4]) / (15 * 4) as f64;
    if per_interpreter > allowed(raw) {
        defects.push(format!(
            "15 failed starts (1 of 4 interpreters fails) kept {per_interpreter:.2} MiB per interpreter"
        ));
    }

    // The same where every interpreter fails (SystemExit at import), and, to compare,
    // successful starts and stops of 4.
    for (module, label) in [
        ("adversarial_interp_exit_in_sub", "every interpreter fails"),
        ("adversarial_interp_setup", "successful start/stop"),
    ] {
        let mut rss = Vec::new();
        for _ in 0..12 {
            let outcome = within(
                60,
                label,
                pime::Engine::builder()
                    .import_path(PYTHON_DIR)
                    .interpreters(4)
                    .broker(module, "broker")
                    .start(),
            )
            .await;
            if let Ok(engine) = outcome {
                within(30, "stop", engine.stop()).await.unwrap();
            }
            rss.push(resident_mib());
        }
        let per_interpreter = (rss[11] - rss[3]) / (8 * 4) as f64;
        println!("{label}: rss {rss:.1?}");
        if per_interpreter > allowed(raw) {
            defects.push(format!(
                "8 cycles, {label}: kept {per_interpreter:.2} MiB per interpreter"
            ));
        }
    }

    // One interpreter, queue capacity 1: 300 concurrent calls, all answered in order of
    // nothing in particular but each with its own value.
    for entry in std::fs::read_dir(&slots).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let engine = within(
        60,
        "start",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(1)
            .queue_capacity(1)
            .broker("adversarial_interp_setup", "broker")
            .start(),
    )
    .await
    .expect("starts");
    let handles: Vec<_> = (0..300i64)
        .map(|i| tokio::spawn(pime::call(task("echo", &[("value", Value::I64(i))]))))
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(
            within(30, "echo", h).await.unwrap(),
            Ok(Some(Value::I64(i as i64)))
        );
    }
    for _ in 0..300 {
        let mut t = task("echo", &[("value", s("nw"))]);
        t.no_wait();
        assert_eq!(within(10, "no_wait", pime::call(t)).await, Ok(None));
    }
    let mut stats = pime::stats();
    for _ in 0..200 {
        if stats.in_flight == 0 && stats.queued == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        stats = pime::stats();
    }
    assert_eq!((stats.in_flight, stats.queued), (0, 0), "{stats:?}");
    assert_eq!(
        stats.submitted,
        stats.completed + stats.failed + stats.cancelled,
        "{stats:?}"
    );
    let id = within(10, "where", pime::call(PyTask::new0(s("where")))).await;
    assert!(matches!(id, Ok(Some(Value::I64(n))) if n != 0), "{id:?}");
    within(30, "stop", engine.stop()).await.unwrap();
    assert!(defects.is_empty(), "{defects:#?}");
}
