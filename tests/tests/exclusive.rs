//! Exclusive tasks run inline on the engine's thread; pooled tasks do not.

use pime_tests::{task, PYTHON_DIR};
use pyo3::prelude::*;

#[test]
fn exclusive_tasks_run_on_the_engine_thread() {
    let (ident_sender, ident) = std::sync::mpsc::channel();
    let engine_thread = std::thread::spawn(move || {
        Python::attach(|py| {
            let engine = pime::PySyncEngine::new(py)?;
            engine.add_import_path(PYTHON_DIR)?;
            engine.set_thread_pool_size(2, 2)?;
            let threading = py.import("threading").unwrap();
            let engine_ident: i64 = threading
                .call_method0("get_ident")
                .unwrap()
                .extract()
                .unwrap();
            ident_sender.send(engine_ident).unwrap();
            let broker = py.import("testmod").unwrap().getattr("broker").unwrap();
            engine.launch(py, &broker)
        })
    });
    let engine_ident = ident.recv().unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        pime::wait_online().await;
        for _ in 0..5 {
            let mut exclusive = task("thread_ident", &[]);
            exclusive.mark_exclusive();
            let ran_on = pime::call(exclusive).await.unwrap().unwrap();
            assert_eq!(ran_on, pime::Value::I64(engine_ident));
            let pooled = pime::call(task("thread_ident", &[]))
                .await
                .unwrap()
                .unwrap();
            assert_ne!(pooled, ran_on, "a pooled task ran on the engine thread");
        }
        pime::stop().await.unwrap();
    });
    engine_thread.join().unwrap().unwrap();
}
