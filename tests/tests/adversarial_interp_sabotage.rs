//! Adversarial: a broker replaces the functions of PIME's per-interpreter module
//! `_pime_interpreter` with ones returning junk (None, an int, tuples of the wrong
//! length, a str, a raising function, ...). The raw-FFI path must not crash the
//! process ("Broker failures are errors, not crashes"): every call gets an answer,
//! stop returns, and the next launch serves.

use std::time::Duration;

use pime::{PyTask, Value};
use pime_tests::{s, task, within, PYTHON_DIR};

const KINDS: [&str; 9] = [
    "none",
    "int",
    "short_tuple",
    "long_tuple",
    "str",
    "list",
    "raises",
    "weird",
    "dict",
];

async fn start() -> pime::Engine {
    within(
        60,
        "start",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(1)
            .stop_timeout(Duration::from_secs(5))
            .broker("adversarial_interp_sabotage", "broker")
            .start(),
    )
    .await
    .expect("starts")
}

async fn exercise(what: &str) {
    let _ = within(10, what, pime::call(task("echo", &[("value", s("x"))]))).await;
    let _ = within(10, what, pime::call(PyTask::new0(s("fail")))).await;
    let _ = within(10, what, pime::call(PyTask::new0(s("odd")))).await;
    let _ = within(10, what, pime::call(PyTask::new0(s("coro")))).await;
    let mut t = PyTask::new0(s("echo"));
    t.set_context("k", s("v"));
    let _ = within(10, what, pime::call(t)).await;
    if let Ok(mut stream) = within(10, what, pime::call_stream(PyTask::new0(s("gen")))).await {
        for _ in 0..4 {
            if within(10, what, stream.next()).await.is_none() {
                break;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sabotaged_runtime_module() {
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    let engine = start().await;
    let names = within(10, "names", pime::call(PyTask::new0(s("names"))))
        .await
        .unwrap();
    within(30, "stop", engine.stop()).await.unwrap();
    let Some(Value::Seq(names)) = names else {
        panic!("{names:?}")
    };
    let names: Vec<String> = names
        .into_iter()
        .filter_map(|n| match n {
            Value::String(n) => Some(n),
            _ => None,
        })
        .collect();
    println!("_pime_interpreter functions: {names:?}");
    assert!(
        !names.is_empty(),
        "_pime_interpreter is not in sys.modules of the subinterpreter"
    );

    for name in &names {
        for kind in KINDS {
            let what = format!("{name}={kind}");
            let engine = start().await;
            let r = within(
                10,
                &what,
                pime::call(task("sabotage", &[("name", s(name)), ("kind", s(kind))])),
            )
            .await;
            assert_eq!(r, Ok(Some(s("done"))), "{what}");
            exercise(&what).await;
            within(30, &format!("stop after {what}"), engine.stop())
                .await
                .unwrap();
        }
    }
    let engine = start().await;
    assert_eq!(
        within(10, "echo", pime::call(task("echo", &[("value", s("ok"))]))).await,
        Ok(Some(s("ok")))
    );
    within(30, "stop", engine.stop()).await.unwrap();
}
