//! Arbitrary bytes -> a Python object built from them (tests/python/fuzz_objects.py:
//! ints of any size, floats, str with surrogates, bytes, lists, tuples, dicts, sets,
//! cycles, objects, deep nesting) -> returned by a real broker through a real engine.
//! Every outcome must be a value, an `UnpackError` or a `PyException`: never a panic,
//! a hang or another error.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pime::{ErrorKind, PyTask, Value};

/// One runtime and one engine for the whole fuzzing process.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/python");
        let engine = runtime.block_on(
            pime::Engine::builder()
                .import_path(python)
                .thread_pool(1, 2)
                .broker("fuzz_objects", "broker")
                .start(),
        );
        // The engine runs until the process ends.
        std::mem::forget(engine.expect("the engine starts"));
        runtime
    })
}

fuzz_target!(|data: &[u8]| {
    let params = [("data".to_string(), Value::Bytes(data.to_vec()))].into_iter().collect();
    let task = PyTask::new(Value::String("build".into()), params);
    let outcome = runtime().block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(10), pime::call(task)).await
    });
    match outcome {
        Err(_) => panic!("the call hung for 10 s"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) if matches!(e.kind, ErrorKind::UnpackError | ErrorKind::PyException) => {}
        Ok(Err(e)) => panic!("unexpected error: {e}"),
    }
});
