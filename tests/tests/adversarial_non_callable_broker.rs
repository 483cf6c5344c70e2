//! A broker that is not callable (`adversarial_broker.NOT_CALLABLE = 42`). README: the broker
//! is "any callable broker(command, params)"; set-up failures (broker import) are
//! ExecError, and a reload that fails is an ExecError while "the current broker keeps
//! serving". Starting with, or reloading to, a non-callable must therefore be refused
//! (ExecError), not accepted so that every later call fails with TypeError.

use pime::ErrorKind;
use pime_tests::{s, task, within, PYTHON_DIR};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_callable_brokers_are_refused() {
    let mut problems: Vec<String> = Vec::new();
    let r = within(
        30,
        "start with a non-callable broker",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .broker("adversarial_broker", "NOT_CALLABLE")
            .start(),
    )
    .await;
    match r {
        Err(e) if e.kind == ErrorKind::ExecError => eprintln!("refused at start: {e}"),
        Err(e) => problems.push(format!("start: {:?} {e}", e.kind)),
        Ok(engine) => {
            let c = within(10, "call", pime::call(task("echo", &[("value", s("x"))]))).await;
            problems.push(format!(
                "start with broker = 42 succeeded; a call then gave {c:?}"
            ));
            within(10, "stop", engine.stop()).await.unwrap();
        }
    }
    let engine = within(
        30,
        "start",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .broker("adversarial_broker", "broker")
            .start(),
    )
    .await
    .unwrap();
    let r = within(
        10,
        "reload_module",
        pime::reload_module("adversarial_broker", "NOT_CALLABLE"),
    )
    .await;
    if !matches!(&r, Err(e) if e.kind == ErrorKind::ExecError) {
        problems.push(format!("reload_module to broker = 42 gave {r:?}"));
    }
    let c = within(10, "call", pime::call(task("echo", &[("value", s("x"))]))).await;
    if c != Ok(Some(s("x"))) {
        problems.push(format!(
            "after that reload a call gave {:?}",
            c.map_err(|e| format!("{:?}: {}", e.kind, e.message))
        ));
    }
    within(10, "stop", engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
}
