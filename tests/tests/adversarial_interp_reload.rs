//! Adversarial: reloads that succeed in the main interpreter but fail in the
//! subinterpreters (SystemExit at import, a single-phase extension), a missing module,
//! and a reload_module to a module registering converters. README: "A module that
//! fails to import is an ExecError and the current broker keeps serving."

use pime::{ErrorKind, PyTask, Value};
use pime_tests::{s, scratch_dir, task, within, PYTHON_DIR};

const MODULE: &str = "adv_interp_reloadable";

fn write(dir: &std::path::Path, source: &str) {
    std::fs::write(dir.join(format!("{MODULE}.py")), source).unwrap();
    // A fresh mtime is what importlib's cache compares; remove the bytecode too.
    let _ = std::fs::remove_dir_all(dir.join("__pycache__"));
}

fn version(v: i64) -> String {
    format!("VERSION = {v}\ndef broker(command, params):\n    return VERSION\n")
}

const FAILS_IN_SUB: &str = "from adversarial_interp_common import in_sub\n\
if in_sub():\n    import _testsinglephase\n\
VERSION = 3\ndef broker(command, params):\n    return VERSION\n";

async fn all_answer(expected: Value, what: &str) {
    let handles: Vec<_> = (0..16)
        .map(|_| tokio::spawn(pime::call(PyTask::new0(s("v")))))
        .collect();
    for h in handles {
        let r = within(20, what, h).await.unwrap();
        assert_eq!(r, Ok(Some(expected.clone())), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reloads_that_fail_in_subinterpreters() {
    if !pime_tests::subinterpreters_supported() {
        return;
    }
    let dir = scratch_dir(env!("CARGO_TARGET_TMPDIR"), "adv-interp-reload");
    write(&dir, &version(1));
    let engine = within(60, "start", async {
        pime::Engine::builder()
            .import_path(&dir)
            .import_path(PYTHON_DIR)
            .interpreters(2)
            .broker(MODULE, "broker")
            .start()
            .await
    })
    .await
    .expect("starts");
    all_answer(Value::I64(1), "v1").await;

    // reload_module to a module that imports in the main interpreter but raises
    // SystemExit in every subinterpreter.
    let outcome = within(
        30,
        "reload_module exit",
        pime::reload_module("adversarial_interp_exit_in_sub", "broker"),
    )
    .await;
    println!("reload_module to SystemExit-in-sub: {outcome:?}");
    let mut errors = Vec::new();
    for _ in 0..8 {
        let r = within(20, "after exit reload", pime::call(PyTask::new0(s("v")))).await;
        if r != Ok(Some(Value::I64(1))) {
            errors.push(format!("{r:?}").chars().take(160).collect::<String>());
        }
    }
    let mut defects = Vec::new();
    if !(outcome
        .as_ref()
        .is_err_and(|e| e.kind == ErrorKind::ExecError)
        && errors.is_empty())
    {
        defects.push(format!(
            "reload_module to a module that fails in the subinterpreters: reload gave {:?}, \
             then {} of 8 calls failed, e.g. {:?} (expected an ExecError and the old broker serving)",
            outcome.as_ref().map_err(|e| e.kind), errors.len(), errors.first()
        ));
    }
    assert!(pime::is_engine_started());
    // Back to the module (recovers, whatever happened).
    within(30, "back", pime::reload_module(MODULE, "broker"))
        .await
        .expect("back to v1");
    all_answer(Value::I64(1), "v1 again").await;

    // The same module, changed on disk into one the subinterpreters cannot import.
    write(&dir, FAILS_IN_SUB);
    let outcome = within(30, "reload fails in sub", pime::reload()).await;
    println!("reload to single-phase-in-sub: {outcome:?}");
    let mut errors = Vec::new();
    for _ in 0..8 {
        let r = within(20, "after bad reload", pime::call(PyTask::new0(s("v")))).await;
        if r != Ok(Some(Value::I64(1))) {
            errors.push(format!("{r:?}").chars().take(160).collect::<String>());
        }
    }
    if !(outcome
        .as_ref()
        .is_err_and(|e| e.kind == ErrorKind::ExecError)
        && errors.is_empty())
    {
        defects.push(format!(
            "reload of a module changed into one that fails in the subinterpreters: reload gave {:?}, \
             then {} of 8 calls failed, e.g. {:?} (expected an ExecError and the old broker serving)",
            outcome.as_ref().map_err(|e| e.kind), errors.len(), errors.first()
        ));
    }

    // Missing module.
    let e = within(
        30,
        "missing",
        pime::reload_module("adv_interp_nope", "broker"),
    )
    .await
    .expect_err("no such module");
    assert_eq!(e.kind, ErrorKind::ExecError);

    // Version 4 loads everywhere.
    write(&dir, &version(4));
    within(30, "reload 4", pime::reload())
        .await
        .expect("reloads");
    all_answer(Value::I64(4), "v4").await;

    // Another module whose import registers converters: they work in every interpreter.
    within(
        30,
        "to values",
        pime::reload_module("adversarial_interp_values", "broker"),
    )
    .await
    .expect("switches");
    for _ in 0..8 {
        let r = within(
            20,
            "library",
            pime::call(task("build", &[("name", s("library"))])),
        )
        .await
        .unwrap()
        .unwrap();
        let Value::Map(m) = r else { panic!() };
        assert!(matches!(m.get(&s("money")), Some(Value::Map(_))), "{m:?}");
    }
    within(30, "stop", engine.stop()).await.unwrap();
    assert!(defects.is_empty(), "{defects:#?}");
}
