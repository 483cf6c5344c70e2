//! Regression: tasks run on a user's executor (`.executor(module, factory)`, here a
//! `concurrent.futures.ThreadPoolExecutor(2)`) get what pooled tasks get.
//!
//! * An `async def` command returns its value: the coroutine the executor's future
//!   holds is run on the engine's event loop (it used to be an `UnpackError`, "cannot
//!   convert coroutine").
//! * A task's context (`PyTask::set_context`) reaches `pime.context()` in the broker,
//!   in sync and async commands (it used to be dropped on this path).
//! * With `.command_stats()`, a command that sleeps 100 ms has a mean time of at least
//!   80 ms (the clock used to stop when the task was handed to the executor: ~0).

use std::collections::BTreeMap;
use std::time::Duration;

use pime::{PyTask, Value};
use pime_tests::{call_ok, s, task, within, PYTHON_DIR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_executor_runs_async_commands_with_context_and_timings() {
    let engine = within(
        30,
        "start",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .executor("defect_execmod", "thread_pool")
            .broker("defect_execmod", "broker")
            .command_stats()
            .start(),
    )
    .await
    .expect("the engine starts");

    let Value::String(thread) = within(10, "where", call_ok("where", &[])).await else {
        panic!("a thread name")
    };
    assert!(
        thread.starts_with("defect-pool"),
        "ran on {thread}, not the user's executor"
    );

    // An async command returns its value.
    let value = Value::Seq(vec![Value::I64(7), s("seven")]);
    assert_eq!(
        within(
            10,
            "an async command",
            pime::call(task("anap", &[("value", value.clone())]))
        )
        .await,
        Ok(Some(value))
    );

    // The task's context reaches pime.context(), sync and async.
    for command in ["ctx", "actx"] {
        let mut with_context = PyTask::new(s(command), BTreeMap::new());
        with_context.set_context("request_id", s("req-42"));
        let seen = within(10, command, pime::call(with_context)).await;
        assert_eq!(
            seen,
            Ok(Some(Value::Map(BTreeMap::from([(
                s("request_id"),
                s("req-42")
            )])))),
            "{command}"
        );
    }

    // Per-command timings cover the time in the executor.
    for _ in 0..3 {
        assert_eq!(within(10, "slow", call_ok("slow", &[])).await, s("slept"));
    }
    let stats = pime::stats();
    let slow = stats.commands.get("slow").expect("an entry for slow");
    eprintln!("executor_kinds: slow {slow:?}, mean {:?}", slow.mean());
    assert_eq!((slow.calls, slow.errors), (3, 0));
    assert!(
        slow.mean() >= Duration::from_millis(80),
        "a 100 ms command has a mean of {:?}",
        slow.mean()
    );
    within(30, "stop", engine.stop()).await.unwrap();
}
