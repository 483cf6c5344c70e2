//! The low-level `PySyncEngine::launch` runs on a plain spawned `std::thread` (not the
//! main thread, not a tokio thread) and serves calls made from a tokio runtime on
//! other threads; exclusive tasks run on that very thread; `launch` returns `Ok` after
//! `stop()`; and the engine launches again from another spawned thread.

use std::thread::JoinHandle;

use pime::{PySyncEngine, Value};
use pime_tests::{s, task, within, PYTHON_DIR};
use pyo3::prelude::*;

/// Launches `testmod.broker` on a new thread; the first message is that thread's Python
/// thread id, sent just before `launch` blocks.
fn launch_on_spawned_thread(
    name: &str,
) -> (JoinHandle<pime::Result<()>>, std::sync::mpsc::Receiver<u64>) {
    let (ident_sender, ident) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            Python::attach(|py| {
                let engine = PySyncEngine::new(py)?;
                engine.add_import_path(PYTHON_DIR)?;
                engine.set_thread_pool_size(1, 2)?;
                let load = || -> PyResult<(Bound<'_, PyAny>, u64)> {
                    let broker = py.import("testmod")?.getattr("broker")?;
                    let ident = py
                        .import("threading")?
                        .call_method0("get_ident")?
                        .extract()?;
                    Ok((broker, ident))
                };
                let (broker, thread_ident) = load().expect("testmod loads");
                ident_sender.send(thread_ident).unwrap();
                engine.launch(py, &broker)
            })
        })
        .expect("spawn the engine thread");
    (handle, ident)
}

#[test]
fn launch_from_a_spawned_std_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for round in 0..2 {
        let (engine_thread, ident) = launch_on_spawned_thread(&format!("custom-engine-{round}"));
        let engine_ident = ident
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the engine thread loaded its broker");
        runtime.block_on(async {
            within(30, "online", pime::wait_online()).await;
            assert!(pime::is_engine_started());
            let echoed = within(10, "echo", pime::call(task("echo", &[("value", s("hi"))]))).await;
            assert_eq!(echoed, Ok(Some(s("hi"))));

            let mut on_engine_thread = task("thread_ident", &[]);
            on_engine_thread.mark_exclusive();
            let exclusive_ident = within(10, "exclusive ident", pime::call(on_engine_thread))
                .await
                .unwrap();
            assert_eq!(exclusive_ident, Some(normalise(Value::U64(engine_ident))));
            let pooled_ident = within(10, "pooled ident", pime::call(task("thread_ident", &[])))
                .await
                .unwrap();
            assert_ne!(
                pooled_ident, exclusive_ident,
                "pooled tasks run on a worker"
            );

            within(30, "stop", pime::stop()).await.unwrap();
        });
        let launched = engine_thread
            .join()
            .expect("the engine thread did not panic");
        assert_eq!(launched, Ok(()), "round {round}");
        assert!(!pime::is_engine_started());
    }
}

/// Python thread ids come back as `I64` when they fit, as every int does.
fn normalise(value: Value) -> Value {
    match value {
        Value::U64(n) if n <= i64::MAX as u64 => Value::I64(n as i64),
        other => other,
    }
}
