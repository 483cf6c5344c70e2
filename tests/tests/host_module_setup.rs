//! Setting host modules up: names that clash are `start()` errors, a relaunch serves
//! the broker imported before with the new host, a user's thread pool calls the host,
//! and the seed API registers a host with a runtime of the caller's choosing.

use std::time::Duration;

use pime::{host_module, ErrorKind, Value};
use pime_tests::{call_ok, s, PYTHON_DIR};
use pyo3::prelude::*;

/// The `app` module `host_plugin.py` imports (a few of its functions).
#[host_module(module = "app")]
pub trait App {
    async fn get_user(&self, id: u64) -> pime::Result<std::collections::BTreeMap<String, Value>>;
    fn version(&self) -> pime::Result<String>;
}

/// Another implementation with the same module name.
#[host_module(module = "app", host = OtherAppHost)]
pub trait OtherApp {
    fn version(&self) -> pime::Result<String>;
}

/// A host module named like a standard-library module.
#[host_module(module = "json")]
pub trait Json {
    fn dumps(&self) -> pime::Result<String>;
}

/// A host module named like a module on the import path.
#[host_module(module = "testmod")]
pub trait Shadowing {
    fn anything(&self) -> pime::Result<()>;
}

#[host_module(module = "store")]
pub trait Store {
    fn get(&self, key: String) -> pime::Result<Option<i64>>;
}

struct Versioned(&'static str);

impl App for Versioned {
    async fn get_user(&self, id: u64) -> pime::Result<std::collections::BTreeMap<String, Value>> {
        Ok([(
            "name".to_string(),
            Value::String(format!("{} {id}", self.0)),
        )]
        .into())
    }
    fn version(&self) -> pime::Result<String> {
        Ok(self.0.to_string())
    }
}

impl OtherApp for Versioned {
    fn version(&self) -> pime::Result<String> {
        Ok(self.0.to_string())
    }
}

struct Nothing;

impl Json for Nothing {
    fn dumps(&self) -> pime::Result<String> {
        Ok(String::new())
    }
}

impl Shadowing for Nothing {
    fn anything(&self) -> pime::Result<()> {
        Ok(())
    }
}

impl Store for Nothing {
    fn get(&self, _key: String) -> pime::Result<Option<i64>> {
        Ok(Some(1))
    }
}

fn builder() -> pime::EngineBuilder {
    pime::Engine::builder()
        .import_path(PYTHON_DIR)
        .broker("host_plugin", "broker")
}

async fn start_error(builder: pime::EngineBuilder) -> pime::Error {
    builder
        .start()
        .await
        .expect_err("the engine refuses to start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_modules_are_set_up_and_checked() {
    tokio::time::timeout(Duration::from_secs(120), scenario())
        .await
        .expect("the set-up scenario finishes in time");
}

async fn scenario() {
    // Names that clash are start() errors that say what to do.
    let twice = start_error(
        builder()
            .host(AppHost::new(Versioned("1")))
            .host(OtherAppHost::new(Versioned("2"))),
    )
    .await;
    assert_eq!(twice.kind, ErrorKind::ExecError);
    assert!(
        twice.message.contains("two host modules are named `app`"),
        "{twice}"
    );
    let stdlib = start_error(builder().host(JsonHost::new(Nothing))).await;
    assert!(
        stdlib.message.contains("`json`") && stdlib.message.contains("module = "),
        "{stdlib}"
    );
    let on_path = start_error(builder().host(ShadowingHost::new(Nothing))).await;
    assert!(
        on_path
            .message
            .contains("would hide the Python module `testmod`"),
        "{on_path}"
    );
    // A broker that imports a host module nobody registered fails to load.
    let unregistered = start_error(builder().host(AppHost::new(Versioned("1")))).await;
    assert!(unregistered.message.contains("store"), "{unregistered}");

    // Launch, stop, launch again with another host: the broker module, imported during
    // the first launch, calls the new functions.
    for version in ["first", "second"] {
        let engine = builder()
            .thread_pool(1, 2)
            .host(AppHost::new(Versioned(version)))
            .host(StoreHost::new(Nothing))
            .start()
            .await
            .expect("the engine starts");
        assert_eq!(
            call_ok("user_name", &[("id", Value::U64(1))]).await,
            s(&format!("{version} 1"))
        );
        assert_eq!(
            call_ok("versions", &[]).await,
            Value::Seq(vec![s(version), Value::I64(1), Value::I64(1)])
        );
        engine.stop().await.unwrap();
    }

    // A user's thread pool calls the host the same way.
    let engine = builder()
        .executor("execmod", "thread_pool")
        .host(AppHost::new(Versioned("executor")))
        .host(StoreHost::new(Nothing))
        .start()
        .await
        .expect("the engine starts on the executor");
    assert_eq!(
        call_ok("user_name", &[("id", Value::U64(2))]).await,
        s("executor 2")
    );
    assert_eq!(
        call_ok("user_name_async", &[("id", Value::U64(3))]).await,
        s("executor 3")
    );
    engine.stop().await.unwrap();

    // The seed API: hosts registered on the engine's thread, futures on a runtime
    // the caller picked.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime.handle().clone();
    let caller = std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), pime::wait_online())
                .await
                .expect("online");
            let named = call_ok("user_name", &[("id", Value::U64(4))]).await;
            pime::stop().await.unwrap();
            named
        })
    });
    let launched = tokio::task::spawn_blocking(move || {
        Python::attach(|py| {
            let engine = pime::PySyncEngine::new(py)?;
            engine.add_import_path(PYTHON_DIR)?;
            engine.add_host(AppHost::new(Versioned("seed")), &handle)?;
            let clash = engine.add_host(AppHost::new(Versioned("again")), &handle);
            assert!(clash.is_err());
            engine.add_host(StoreHost::new(Nothing), &handle)?;
            let broker = py
                .import("host_plugin")
                .and_then(|m| m.getattr("broker"))
                .unwrap();
            engine.launch(py, &broker)
        })
    })
    .await
    .unwrap();
    assert_eq!(launched, Ok(()));
    assert_eq!(caller.join().unwrap(), s("seed 4"));
}
