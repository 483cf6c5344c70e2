//! Adversarial: 16 subinterpreters under load — 20,000 concurrent calls, CPU loops,
//! a 30,000-task no_wait flood (none lost), random drops, timeouts, streams dropped
//! mid-way (generators closed), bad items; the numbers add up at the end.

use std::time::{Duration, Instant};

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{s, task, within, PYTHON_DIR};

async fn wait_file(path: &std::path::Path, seconds: u64) -> bool {
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        if path.exists() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_interpreters_under_load() {
    let dir = pime_tests::scratch_dir(env!("CARGO_TARGET_TMPDIR"), "adv-interp-load");
    std::env::set_var("PIME_ADV_DIR", &dir);
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    let begun = Instant::now();
    let engine = within(120, "start 16", async {
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(16)
            .command_stats()
            .broker("adversarial_interp_load", "broker")
            .start()
            .await
    })
    .await
    .expect("16 interpreters start");
    println!("16 interpreters started in {:?}", begun.elapsed());

    // 20,000 calls in flight, each gets its own answer.
    let handles: Vec<_> = (0..20_000i64)
        .map(|i| tokio::spawn(pime::call(task("ident", &[("i", Value::I64(i))]))))
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let r = within(60, "ident", h).await.unwrap();
        assert_eq!(r, Ok(Some(Value::I64(i as i64))), "call {i}");
    }

    // CPU loops spread over the interpreters.
    let handles: Vec<_> = (0..160)
        .map(|_| tokio::spawn(pime::call(task("spin", &[("n", Value::I64(20_000))]))))
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        let r = within(60, "spin", h).await.unwrap().unwrap().unwrap();
        let Value::Seq(parts) = r else { panic!() };
        assert_eq!(parts[0], Value::I64((0..20_000i64).map(|i| i % 7).sum()));
        ids.insert(format!("{:?}", parts[1]));
    }
    println!("spin ran on {} interpreters", ids.len());
    assert!(
        !ids.contains("I64(0)"),
        "a pooled call ran in the main interpreter"
    );

    // A no_wait flood: every one runs.
    const TICKS: usize = 30_000;
    for _ in 0..TICKS {
        let mut t = PyTask::new0(s("tick"));
        t.no_wait();
        assert_eq!(within(30, "no_wait", pime::call(t)).await, Ok(None));
    }
    let ticks = dir.join("ticks");
    let end = Instant::now() + Duration::from_secs(30);
    let mut seen = 0;
    while Instant::now() < end {
        seen = std::fs::metadata(&ticks)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        if seen >= TICKS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, TICKS, "no_wait tasks lost");

    // Random drops of sleeping calls (some before start, some while running).
    let handles: Vec<_> = (0..400u64)
        .map(|i| {
            tokio::spawn(async move {
                let mut t = task("sleep", &[("seconds", Value::F64(0.005))]);
                if i % 3 == 0 {
                    t = task("asleep", &[("seconds", Value::F64(0.005))]);
                }
                tokio::time::timeout(Duration::from_millis(i % 25), pime::call(t)).await
            })
        })
        .collect();
    for h in handles {
        if let Ok(r) = within(30, "dropped", h).await.unwrap() {
            assert!(r.is_ok(), "{r:?}");
        }
    }

    // Timeouts, sync and async.
    let mut t = task("sleep", &[("seconds", Value::F64(0.5))]);
    t.set_timeout(Duration::from_millis(50));
    let e = within(10, "timeout", pime::call(t))
        .await
        .expect_err("times out");
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:#?}");
    let mut t = task("asleep", &[("seconds", Value::F64(0.5))]);
    t.set_timeout(Duration::from_millis(50));
    let e = within(10, "async timeout", pime::call(t))
        .await
        .expect_err("times out");
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:#?}");

    // Streams dropped mid-way close their generators (their `finally` runs).
    for (cmd, tag) in [("gen", "g1"), ("agen", "a1"), ("gen", "g2"), ("agen", "a2")] {
        let mut stream = within(
            10,
            cmd,
            pime::call_stream(task(cmd, &[("n", Value::I64(100_000)), ("tag", s(tag))])),
        )
        .await
        .unwrap();
        for i in 0..3 {
            let item = within(10, "item", stream.next()).await;
            assert_eq!(item, Some(Ok(Value::I64(i))));
        }
        drop(stream);
        assert!(
            wait_file(&dir.join(format!("closed-{tag}")), 10).await,
            "{cmd} {tag}: the dropped stream's generator was not closed"
        );
    }
    // A stream read to its end.
    let mut stream = within(
        10,
        "full",
        pime::call_stream(task("gen", &[("n", Value::I64(1000)), ("tag", s("full"))])),
    )
    .await
    .unwrap();
    let mut n = 0;
    while let Some(item) = within(10, "item", stream.next()).await {
        assert_eq!(item, Ok(Value::I64(n)));
        n += 1;
    }
    assert_eq!(n, 1000);
    // Bad items: one Err, then the end.
    let mut stream = within(10, "bad", pime::call_stream(PyTask::new0(s("bad_gen"))))
        .await
        .unwrap();
    assert_eq!(
        within(10, "i", stream.next()).await,
        Some(Ok(Value::I64(1)))
    );
    let e = within(10, "i", stream.next())
        .await
        .unwrap()
        .expect_err("unconvertible item");
    assert_eq!(e.kind, ErrorKind::UnpackError, "{e:#?}");
    assert_eq!(within(10, "end", stream.next()).await, None);
    let mut stream = within(
        10,
        "raising",
        pime::call_stream(PyTask::new0(s("raising_gen"))),
    )
    .await
    .unwrap();
    assert_eq!(
        within(10, "i", stream.next()).await,
        Some(Ok(Value::I64(1)))
    );
    let e = within(10, "i", stream.next())
        .await
        .unwrap()
        .expect_err("raises");
    assert_eq!(e.exception.as_deref(), Some("KeyError"), "{e:#?}");
    assert_eq!(within(10, "end", stream.next()).await, None);

    // Everything accounted for, once the timed-out sleeps end.
    let end = Instant::now() + Duration::from_secs(10);
    let mut stats = pime::stats();
    while Instant::now() < end && (stats.in_flight != 0 || stats.queued != 0) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stats = pime::stats();
    }
    println!(
        "submitted {} completed {} failed {} cancelled {} in_flight {} queued {}",
        stats.submitted,
        stats.completed,
        stats.failed,
        stats.cancelled,
        stats.in_flight,
        stats.queued
    );
    assert_eq!((stats.in_flight, stats.queued), (0, 0));
    assert_eq!(
        stats.submitted,
        stats.completed + stats.failed + stats.cancelled
    );
    let ident = &stats.commands["ident"];
    assert_eq!(ident.calls, 20_000);
    assert_eq!(ident.errors, 0);
    assert_eq!(stats.commands["tick"].calls, TICKS as u64);
    assert_eq!(stats.commands["spin"].calls, 160);

    let begun = Instant::now();
    within(60, "stop 16", engine.stop()).await.unwrap();
    println!("stopped in {:?}", begun.elapsed());
}
