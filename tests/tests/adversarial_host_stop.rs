//! Adversarial: host calls that never end, and host calls from a broker thread, across
//! `stop()` with a stop timeout and a relaunch.
//!
//! README: "With `stop_timeout`, callers of tasks still queued or running after the
//! deadline get an error; stuck worker threads are left to finish on their own."
//! "[the host module's] functions raise `HostError` once the engine set-up that
//! registered them is gone", and "a broker imported during an earlier launch calls the
//! new one".

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use pime::{ErrorKind, Value};
use pime_tests::host_support::stop_app::{self, DROPPED, STARTED};
use pime_tests::host_support::{bounded, call_within, poll_until};
use pime_tests::{s, task};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_ending_host_calls_and_stop_timeout() {
    let engine = stop_app::start((1, 2), 2, "first").await;
    assert_eq!(
        call_within(10, "start_thread", &[]).await,
        Ok(Some(Value::Bool(true)))
    );
    let sync_forever = pime_tests::spawn_sent(task("forever", &[])).await;
    let async_forever = pime_tests::spawn_sent(task("forever_async", &[])).await;
    assert!(
        poll_until(10, || STARTED.load(Ordering::SeqCst) >= 2).await,
        "both forever calls started"
    );

    // stop() returns by the deadline, and both callers get an error.
    let started = Instant::now();
    bounded("stop with a stop timeout", 10, engine.stop())
        .await
        .expect("stop is Ok");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "stop took {took:?}");
    let sync_outcome = bounded("sync caller", 5, sync_forever).await.unwrap();
    let async_outcome = bounded("async caller", 5, async_forever).await.unwrap();
    eprintln!("sync caller: {sync_outcome:?}\nasync caller: {async_outcome:?}");
    assert_eq!(
        sync_outcome.as_ref().unwrap_err().kind,
        ErrorKind::PySyncEngineStateError
    );
    assert_eq!(
        async_outcome.as_ref().unwrap_err().kind,
        ErrorKind::PySyncEngineStateError
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The abandoned async host future: dropped once the engine that spawned it is gone?
    eprintln!(
        "host futures dropped after stop: {} of 2",
        DROPPED.load(Ordering::SeqCst)
    );

    // Relaunch with another host: the broker imported before serves it.
    let engine = stop_app::start((1, 2), 2, "second").await;
    assert_eq!(call_within(10, "quick", &[]).await, Ok(Some(s("second"))));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let report = call_within(10, "thread_report", &[])
        .await
        .unwrap()
        .unwrap();
    eprintln!("the broker thread saw: {report:?}");
    let Value::Seq(lines) = &report else {
        panic!("{report:?}")
    };
    for line in lines {
        let Value::String(line) = line else { panic!() };
        assert!(
            line == "ok: first" || line == "ok: second" || line.starts_with("HostError: "),
            "unexpected outcome of a host call across stop/relaunch: {line}"
        );
    }
    assert!(lines.contains(&s("ok: second")), "{report:?}");

    // A function object stored from the first launch (`stored_sync = app.version` at
    // import): README says the refilled module serves the new host.
    let stored = call_within(10, "stored", &[]).await.unwrap().unwrap();
    let stored_aio = call_within(10, "stored_async", &[]).await.unwrap().unwrap();
    eprintln!("stored from launch 1: sync {stored:?}, aio {stored_aio:?}");
    let mut problems = Vec::new();
    if stored != Value::Map([(s("sync"), s("second"))].into_iter().collect()) {
        problems.push(format!(
            "`stored_sync = stop_app.version` kept from launch 1, called in launch 2: {stored:?}"
        ));
    }
    if stored_aio != s("second") {
        problems.push(format!(
            "`stored_aio = stop_app.aio.version` kept from launch 1, awaited in launch 2: {stored_aio:?}"
        ));
    }
    // The aio host future of launch 1 (its event loop and caller are long gone).
    let dropped = DROPPED.load(Ordering::SeqCst);
    if dropped < 1 {
        problems.push(format!(
            "the aio host future of a task abandoned at the stop deadline was never dropped \
             ({dropped} of 2 forever() futures dropped, one launch later)"
        ));
    }
    // The two callers abandoned at launch 1's deadline were answered with errors. The
    // sync one still runs (its worker is blocked in a host future that never ends), and
    // the stats say so, as the README documents; the aio one ended with its future.
    let stats = pime::stats();
    if stats.in_flight > 1 || stats.queued != 0 {
        problems.push(format!(
            "launch 2's stats count more of launch 1's abandoned tasks than still run: {stats:?}"
        ));
    }
    bounded("second stop", 10, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
