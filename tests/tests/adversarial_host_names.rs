//! Adversarial: host module names that clash with what the engine or Python needs -
//! the broker's own module, the `pime` helper package, `builtins`, `sys`, `__main__`,
//! `asyncio` - and a failed start followed by a good one. (`__main__` and `_thread`
//! are compile errors: names starting with `_` are refused; inside `macro_rules!` the
//! `module` value must be passed as `$name:tt`, a `$name:literal` is refused.)
//!
//! README: "A name used twice, or one Python could already import (`json`, a module
//! on `sys.path`), is a `start()` error."

use std::time::Duration;

use pime::Value;
use pime_tests::host_support::{answer, bounded, call_within};
use pime_tests::{s, task, PYTHON_DIR};

macro_rules! named {
    ($trait:ident, $host:ident, $name:tt) => {
        #[pime::host_module(module = $name, host = $host)]
        pub trait $trait {
            fn hello(&self) -> pime::Result<String>;
        }
        impl $trait for Impl {
            fn hello(&self) -> pime::Result<String> {
                Ok(concat!("hello from ", $name).into())
            }
        }
    };
}

struct Impl;

named!(Own, OwnHost, "adversarial_host_names");
named!(PimeName, PimeHost, "pime");
named!(Builtins, BuiltinsHost, "builtins");
named!(Sys, SysHost, "sys");
named!(Asyncio, AsyncioHost, "asyncio");
named!(Good, GoodHost, "names_app");

fn builder() -> pime::EngineBuilder {
    pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker("adversarial_host_names", "broker")
        .stop_timeout(Duration::from_secs(5))
}

async fn try_start(what: &str, b: pime::EngineBuilder) -> Result<pime::Engine, pime::Error> {
    bounded(&format!("{what}: start()"), 30, b.start()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clashing_host_module_names() {
    let mut problems = Vec::new();
    let cases: Vec<(&str, pime::EngineBuilder)> = vec![
        (
            "broker's own module",
            builder().host(GoodHost::new(Impl)).host(OwnHost::new(Impl)),
        ),
        (
            "pime",
            builder()
                .host(GoodHost::new(Impl))
                .host(PimeHost::new(Impl)),
        ),
        (
            "builtins",
            builder()
                .host(GoodHost::new(Impl))
                .host(BuiltinsHost::new(Impl)),
        ),
        (
            "sys",
            builder().host(GoodHost::new(Impl)).host(SysHost::new(Impl)),
        ),
        (
            "asyncio",
            builder()
                .host(GoodHost::new(Impl))
                .host(AsyncioHost::new(Impl)),
        ),
    ];
    for (what, b) in cases {
        match try_start(what, b).await {
            Err(error) => eprintln!("{what}: start() error: {error}"),
            Ok(engine) => {
                let hello = answer(10, pime::call(task("hello", &[]))).await;
                let pime_ok = answer(10, pime::call(task("pime_still_works", &[]))).await;
                problems.push(format!(
                    "host module named {what:?} was accepted by start(); hello -> {hello:?}, pime -> {pime_ok:?}"
                ));
                bounded("stop", 20, engine.stop()).await.ok();
            }
        }
    }

    // A start that fails after registering (the broker module does not exist), then a
    // good one with the same host.
    let failed = try_start(
        "missing broker",
        pime::Engine::builder()
            .import_path(PYTHON_DIR)
            .broker("adversarial_host_no_such_module", "broker")
            .host(GoodHost::new(Impl)),
    )
    .await;
    assert!(failed.is_err(), "a missing broker module fails start()");
    match try_start("good", builder().host(GoodHost::new(Impl))).await {
        Ok(engine) => {
            let hello = call_within(10, "hello", &[]).await;
            if hello != Ok(Some(s("hello from names_app"))) {
                problems.push(format!("after a failed start: hello -> {hello:?}"));
            }
            let pime_ok = call_within(10, "pime_still_works", &[]).await;
            assert_eq!(
                pime_ok,
                Ok(Some(Value::Seq(vec![Value::Bool(true); 3]))),
                "the pime package is intact"
            );
            bounded("stop", 20, engine.stop()).await.unwrap();
        }
        Err(error) => problems.push(format!("a good start after a failed one: {error}")),
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
