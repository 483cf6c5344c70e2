//! What `start()` refuses with `.interpreters(n)`, each with an error that says why,
//! and that a good start works after the refused ones.

use pime::ErrorKind;
use pime_tests::{call_ok, within, PYTHON_DIR};

#[pime::host_module(module = "interp_host", crate = pime)]
trait InterpHost {
    fn twice(&self, n: i64) -> pime::Result<i64>;
}

struct Host;

impl InterpHost for Host {
    fn twice(&self, n: i64) -> pime::Result<i64> {
        Ok(2 * n)
    }
}

fn builder(module: &str) -> pime::EngineBuilder {
    pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker(module, "broker")
}

async fn refused(what: &str, builder: pime::EngineBuilder) -> pime::Error {
    let outcome = within(60, what, builder.start()).await;
    let error = outcome.err().unwrap_or_else(|| panic!("{what}: started"));
    assert_eq!(error.kind, ErrorKind::ExecError, "{what}: {error}");
    assert!(
        !pime::is_engine_started(),
        "{what}: the engine is not left running"
    );
    error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_starts_say_why() {
    let supported = pyo3::Python::attach(|py| py.version_info() >= (3, 12));

    let error = refused("zero", builder("interp_broker").interpreters(0)).await;
    assert!(error.message.contains("1 <= n <= 1024, got 0"), "{error}");
    let error = refused("too many", builder("interp_broker").interpreters(2000)).await;
    assert!(error.message.contains("got 2000"), "{error}");
    let error = refused(
        "interrupt",
        builder("interp_broker")
            .interpreters(2)
            .interrupt_on_deadline(true),
    )
    .await;
    assert!(error.message.contains("interrupt on deadline"), "{error}");
    let error = refused(
        "executor",
        builder("interp_broker")
            .interpreters(2)
            .executor("interp_broker", "thread_pool"),
    )
    .await;
    assert!(error.message.contains("an executor"), "{error}");
    let error = refused(
        "host",
        builder("interp_broker")
            .interpreters(2)
            .host(InterpHostHost::new(Host)),
    )
    .await;
    assert!(error.message.contains("host modules"), "{error}");

    if !supported {
        let error = refused("old Python", builder("interp_broker").interpreters(2)).await;
        assert!(error.message.contains("CPython 3.12 or newer"), "{error}");
        return;
    }

    // An extension with single-phase init cannot load in an isolated interpreter.
    let error = refused(
        "single-phase init",
        builder("interp_singlephase").interpreters(2),
    )
    .await;
    assert!(
        error.message.contains("interp_singlephase.broker"),
        "{error}"
    );
    assert!(error.message.contains("_testsinglephase"), "{error}");
    assert!(error.message.contains(".thread_pool(..)"), "{error}");
    assert_eq!(error.exception.as_deref(), Some("ImportError"), "{error:?}");

    // A broker object each interpreter cannot import by name.
    let lambda = pyo3::Python::attach(|py| {
        py.eval(c"lambda command, params: command", None, None)
            .unwrap()
            .unbind()
    });
    let error = refused(
        "lambda",
        pime::Engine::builder()
            .interpreters(2)
            .broker_object(lambda),
    )
    .await;
    assert!(
        error
            .message
            .contains("imports the broker in each interpreter"),
        "{error}"
    );
    assert!(
        error.message.contains(".broker(\"module\", \"attribute\")"),
        "{error}"
    );

    // After all of that, a good start serves.
    let engine = within(
        60,
        "start",
        builder("interp_broker").interpreters(2).start(),
    )
    .await
    .expect("starts");
    let answer = within(10, "where", call_ok("where", &[])).await;
    let pime::Value::Map(answer) = answer else {
        panic!("{answer:?}")
    };
    assert_ne!(
        answer.get(&pime_tests::s("interpreter")),
        Some(&pime::Value::I64(0)),
        "the call ran in a subinterpreter, not the main one"
    );
    within(30, "stop", engine.stop()).await.unwrap();
}
