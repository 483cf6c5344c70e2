//! The prompt GIL hand-off: while two pooled brokers loop in pure Python, calls that
//! wait to start lower the switch interval to the request interval (the loops see it)
//! and put it back afterwards; with `gil_request_interval(None)` the loops only ever
//! see the configured interval; a `sys.setswitchinterval` made by user code while the
//! interval is lowered is kept; a child forked meanwhile starts with it put back. The
//! same on every CPython: the waiting thread lowers the interval itself, through
//! CPython's own setter up to 3.11 and from 3.12 through PIME's accessor of the GIL's
//! private struct (a build without it would have no hand-off, and the first
//! assertion would fail).

use std::time::Duration;

use pime::Value;
use pime_tests::{start_with, task, within};

const SWITCH_INTERVAL: f64 = 0.005;
const BUSY: usize = 2;
const CALLS: usize = 20;

/// What a run of [`watch`] saw.
struct Watched {
    /// The switch intervals each loop saw.
    seen: Vec<Vec<f64>>,
    /// The interval left at the end.
    left: f64,
    /// The interval each child forked by a loop started with.
    children: Vec<f64>,
}

/// Starts an engine with `request` as its GIL request interval, runs `CALLS` pooled and
/// `CALLS` exclusive no-op calls while `BUSY` loops spin, and says what they saw.
async fn watch(request: Option<Duration>, spin_params: &[(&str, Value)]) -> Watched {
    let engine = start_with("gil_watch", |builder| {
        builder
            .thread_pool(4, 4)
            .switch_interval(Duration::from_secs_f64(SWITCH_INTERVAL))
            .gil_request_interval(request)
    })
    .await;
    let exclusive = |command: &str| {
        let mut task = task(command, &[]);
        task.mark_exclusive();
        task
    };
    pime::call(exclusive("arm")).await.expect("arm");
    let spinners: Vec<_> = (0..BUSY)
        .map(|_| tokio::spawn(pime::call(task("spin", spin_params))))
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    within(60, "no-op calls under CPU load", async {
        for _ in 0..CALLS {
            pime::call(task("noop", &[])).await.expect("pooled no-op");
            pime::call(exclusive("noop"))
                .await
                .expect("exclusive no-op");
        }
    })
    .await;
    pime::call(exclusive("release")).await.expect("release");
    let mut seen = Vec::new();
    for spinner in spinners {
        let result = within(10, "the loops end", spinner).await.expect("joins");
        let Some(Value::Seq(values)) = result.expect("spin succeeds") else {
            panic!("spin returned no list");
        };
        seen.push(values.into_iter().map(as_f64).collect());
    }
    let left = pime::call(exclusive("interval")).await.expect("interval");
    let children = match pime::call(exclusive("child_intervals")).await {
        Ok(Some(Value::Seq(values))) => values.into_iter().map(as_f64).collect(),
        other => panic!("child_intervals gave {other:?}"),
    };
    engine.stop().await.expect("stops");
    Watched {
        seen,
        left: as_f64(left.expect("an interval")),
        children,
    }
}

fn as_f64(value: Value) -> f64 {
    match value {
        Value::F64(x) => x,
        other => panic!("not a float: {other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_tasks_ask_for_the_gil_promptly_and_restore_the_interval() {
    let request = pime::DEFAULT_GIL_REQUEST_INTERVAL.as_secs_f64();

    let Watched { seen, left, .. } = watch(Some(pime::DEFAULT_GIL_REQUEST_INTERVAL), &[]).await;
    let lowered = seen.iter().flatten().any(|&x| close(x, request));
    assert!(
        lowered,
        "no loop saw the request interval {request}: {seen:?}"
    );
    assert!(
        seen.iter()
            .flatten()
            .all(|&x| close(x, request) || close(x, SWITCH_INTERVAL)),
        "the loops saw other intervals: {seen:?}"
    );
    assert!(close(left, SWITCH_INTERVAL), "interval left at {left}");

    let Watched { seen, left, .. } = watch(None, &[]).await;
    assert!(
        seen.iter().flatten().all(|&x| close(x, SWITCH_INTERVAL)),
        "without the hand-off the loops saw {seen:?}"
    );
    assert!(close(left, SWITCH_INTERVAL), "interval left at {left}");

    // User code sets 2 ms while the interval is lowered: PIME does not undo it.
    let Watched { seen, left, .. } = watch(
        Some(pime::DEFAULT_GIL_REQUEST_INTERVAL),
        &[("set_when_lowered", Value::F64(0.002))],
    )
    .await;
    assert!(
        close(left, 0.002),
        "interval left at {left}, loops saw {seen:?}"
    );

    // A process forked while the interval is lowered (`multiprocessing` with the fork
    // start method, from a broker) starts with it put back: the threads that lowered
    // it do not exist in the child, so nothing else would.
    if cfg!(unix) {
        let Watched {
            seen,
            left,
            children,
        } = watch(
            Some(pime::DEFAULT_GIL_REQUEST_INTERVAL),
            &[("fork_when_lowered", Value::Bool(true))],
        )
        .await;
        assert!(
            !children.is_empty(),
            "no loop saw the interval lowered, so none forked: {seen:?}"
        );
        assert!(
            children.iter().all(|&x| close(x, SWITCH_INTERVAL)),
            "children started with {children:?}"
        );
        assert!(close(left, SWITCH_INTERVAL), "interval left at {left}");
    }
}
