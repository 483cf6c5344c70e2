//! Regression: per-command stats (`.command_stats()`) have a bounded number of
//! entries, whatever commands callers send.
//!
//! Every distinct command name used to get its own entry in `pime::stats().commands`
//! (and its lines in `stats_prometheus()`), so a caller sending arbitrary names — even
//! names the broker refuses — grew the map and the `/metrics` page without bound. Now:
//!
//! * a call the broker refuses as unknown (`pime.Broker`'s `UnknownCommandError`)
//!   creates no entry: 20,000 distinct unknown commands leave the map empty (a known
//!   command then does get its entry);
//! * known commands get entries up to `pime::MAX_COMMAND_STATS`; the calls of further
//!   commands are counted under one `pime::OTHER_COMMANDS` entry (here a plain-function
//!   broker that succeeds for any name, called with 300 distinct names), while commands
//!   that have an entry keep counting in it;
//! * `stats_prometheus()` stays small (under 200 KB).
//!
//! The map is process-wide and keeps its entries across launches, so the counts below
//! add up over both engines of this binary.

use pime::{ErrorKind, MAX_COMMAND_STATS, OTHER_COMMANDS};
use pime_tests::{assert_still_serving, start_with, task, within};

const UNKNOWN: usize = 20_000;
const KNOWN: usize = 300;
const PROMETHEUS_LIMIT: usize = 200_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_stats_stay_bounded() {
    // A pime.Broker: every name below is unknown to it.
    let engine = within(
        30,
        "start",
        start_with("defect_async", |builder| {
            builder.thread_pool(1, 2).command_stats()
        }),
    )
    .await;
    let senders: Vec<_> = (0..4)
        .map(|sender| {
            tokio::spawn(async move {
                for i in (sender..UNKNOWN).step_by(4) {
                    let error = pime::call(task(&format!("no_such_command_{i}"), &[]))
                        .await
                        .expect_err("an unknown command");
                    assert_eq!(
                        (error.kind, error.exception.as_deref()),
                        (ErrorKind::PyException, Some("UnknownCommandError")),
                        "{error}"
                    );
                }
            })
        })
        .collect();
    for sender in senders {
        within(300, "unknown commands", sender).await.unwrap();
    }
    let commands = pime::stats().commands;
    assert!(
        commands.is_empty(),
        "{} entries after {UNKNOWN} unknown commands, e.g. {:?}",
        commands.len(),
        commands.keys().take(5).collect::<Vec<_>>()
    );
    // A known command does get an entry (`echo`, through the helper).
    assert_still_serving().await;
    let commands = pime::stats().commands;
    assert_eq!(
        commands.keys().collect::<Vec<_>>(),
        vec!["echo"],
        "{commands:?}"
    );
    assert_eq!(commands["echo"].calls, 1);
    within(30, "stop", engine.stop()).await.unwrap();

    // A broker that succeeds for any name: 300 distinct known commands.
    let engine = within(
        30,
        "restart",
        start_with("defect_broker", |builder| {
            builder.thread_pool(1, 2).command_stats()
        }),
    )
    .await;
    for i in 0..KNOWN {
        let name = format!("known_{i}");
        let outcome = within(10, "a known command", pime::call(task(&name, &[]))).await;
        assert_eq!(outcome, Ok(Some(pime::Value::String(name))));
    }
    // One with an entry keeps counting there; one more new one goes to the rest.
    for name in ["known_0", "one_more_new_name"] {
        within(10, name, pime::call(task(name, &[]))).await.unwrap();
    }
    let commands = pime::stats().commands;
    assert_eq!(
        commands.len(),
        MAX_COMMAND_STATS + 1,
        "at most {MAX_COMMAND_STATS} commands plus {OTHER_COMMANDS:?}"
    );
    // "echo" took one of the places; known_0 .. known_254 the others.
    let kept = MAX_COMMAND_STATS - 1;
    for i in 0..kept {
        assert!(
            commands.contains_key(&format!("known_{i}")),
            "known_{i} has no entry"
        );
    }
    assert_eq!(commands["known_0"].calls, 2);
    assert!(!commands.contains_key("one_more_new_name"));
    let other = commands
        .get(OTHER_COMMANDS)
        .unwrap_or_else(|| panic!("no {OTHER_COMMANDS:?} entry"));
    assert_eq!(
        other.calls,
        (KNOWN - kept + 1) as u64,
        "the commands past the limit count under {OTHER_COMMANDS:?}"
    );
    assert_eq!(other.errors, 0);
    let total: u64 = commands.values().map(|c| c.calls).sum();
    assert_eq!(
        total,
        (1 + KNOWN + 2) as u64,
        "every known call counted once"
    );

    let prometheus = pime::stats_prometheus();
    eprintln!(
        "stats_cardinality: {} entries, Prometheus text {} bytes",
        commands.len(),
        prometheus.len()
    );
    assert!(
        prometheus.len() < PROMETHEUS_LIMIT,
        "stats_prometheus() is {} bytes",
        prometheus.len()
    );
    assert!(
        prometheus.contains(&format!("command=\"{OTHER_COMMANDS}\"")),
        "no {OTHER_COMMANDS:?} series"
    );
    assert!(!prometheus.contains("no_such_command_"));
    within(30, "stop", engine.stop()).await.unwrap();
}
