//! Idle means idle: once the calls stop, the pool's workers and the engine thread
//! park after their brief spin, whatever the calls before were (a burst that woke
//! several workers, sleeps that fanned out, a searcher started for a task), and use
//! no CPU until the next call.

use std::time::Duration;

use pime::Value;
use pime_tests::{start_with, task, within};

/// CPU time (user + system, in clock ticks) of this process's threads whose names
/// start with `prefix`, from `/proc/self/task/*/stat`.
fn cpu_ticks(prefix: &str) -> u64 {
    let mut ticks = 0;
    for entry in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let dir = entry.expect("a task").path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if !name.trim_end().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        // The fields after the name (which is in parentheses and may hold spaces):
        // state is field 3, utime 14, stime 15.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let time = |field: usize| fields[field - 3].parse::<u64>().unwrap_or(0);
        ticks += time(14) + time(15);
    }
    ticks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_pool_uses_no_cpu() {
    let engine = start_with("testmod", |builder| builder.thread_pool(2, 8)).await;
    within(60, "a burst of calls and sleeps", async {
        let calls: Vec<_> =
            (0..200)
                .map(|_| tokio::spawn(pime::call(task("echo", &[("value", Value::I64(1))]))))
                .chain((0..8).map(|_| {
                    tokio::spawn(pime::call(task("sleep", &[("seconds", Value::F64(0.05))])))
                }))
                .collect();
        for call in calls {
            call.await.expect("joins").expect("the call succeeds");
        }
    })
    .await;
    // Past every spin (tens of µs) and the searchers' naps.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let window = Duration::from_secs(1);
    let before = cpu_ticks("pime-");
    tokio::time::sleep(window).await;
    let used = cpu_ticks("pime-") - before;
    // A thread spinning for the whole second would use about 100 ticks (USER_HZ is
    // 100 on Linux); parked threads use none. 10 leaves room for a busy machine.
    assert!(
        used <= 10,
        "PIME's threads used {used} clock ticks of CPU in {window:?} while idle"
    );
    within(30, "stop", engine.stop()).await.expect("stops");
}
