//! The subinterpreter pool (`.interpreters(n)`): calls run in isolated subinterpreters
//! with their own GIL, on CPython 3.12+; before 3.12, `start()` says what is needed.

use pime::{ErrorKind, Value};
use pime_tests::{call_ok, s, task, within, PYTHON_DIR};

fn supported() -> bool {
    pyo3::Python::attach(|py| py.version_info() >= (3, 12))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interpreters_serve_calls() {
    let started = within(60, "start", async {
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .interpreters(2)
            .broker("interp_broker", "broker")
            .start()
            .await
    })
    .await;
    if !supported() {
        let error = started.expect_err("interpreters need 3.12");
        assert_eq!(error.kind, ErrorKind::ExecError);
        assert!(error.message.contains("CPython 3.12"), "{error}");
        return;
    }
    let engine = started.expect("the engine starts");
    // Two busy calls at once run in two interpreters, each with its own module state.
    let busy = |_| tokio::spawn(pime::call(task("busy", &[("seconds", Value::F64(0.3))])));
    let calls: Vec<_> = (0..2).map(busy).collect();
    let mut interpreters = std::collections::BTreeSet::new();
    for call in calls {
        let Some(Value::Map(answer)) = within(10, "busy", call).await.unwrap().unwrap() else {
            panic!("a map")
        };
        let Some(Value::String(thread)) = answer.get(&s("thread")) else {
            panic!("{answer:?}")
        };
        assert!(thread.starts_with("pime-interpreter-"), "{thread}");
        interpreters.insert(format!("{:?}", answer.get(&s("interpreter"))));
    }
    assert_eq!(
        interpreters.len(),
        2,
        "two interpreters served: {interpreters:?}"
    );
    let echoed = within(10, "echo", call_ok("echo", &[("value", s("hi"))])).await;
    assert_eq!(echoed, s("hi"));
    let error = within(10, "fail", pime::call(task("fail", &[("kind", s("key"))])))
        .await
        .unwrap_err();
    println!("{error:#?}");
    let library = within(10, "library", call_ok("library", &[])).await;
    println!("{library:?}");
    let later = within(10, "later", call_ok("later", &[("x", Value::I64(21))])).await;
    assert_eq!(later, Value::I64(42));
    pime::stop().await.unwrap();
    within(30, "wait", engine.wait()).await.unwrap();
}
