//! Huge values cross both ways — a 100 MB string and a list of 10 million ints, Rust ->
//! Python, Python -> Rust, and both at once (echo) — with their content intact, and
//! peak resident memory during each crossing stays within one copy of the value on
//! each side of the boundary (plus slack): conversion never makes a second copy.
//!
//! Each phase resets the peak (`/proc/self/clear_refs`) and compares `VmHWM` with the
//! resident memory just before. The test moves values into tasks (no clone) and checks
//! results by scanning, so it holds no extra copies itself.

use std::collections::BTreeMap;
use std::time::Instant;

use pime::{PyTask, Value};
use pime_tests::{peak_resident_mib, reset_peak_resident, resident_mib, s, start, within};

const STRING_BYTES: usize = 100 * 1024 * 1024;
const INTS: usize = 10_000_000;
const PATTERN: &str = "0123456789abcdef";
const MIB: f64 = 1024.0 * 1024.0;
/// Allocator slack per phase: arenas, the executor's bookkeeping, the message of a
/// task — small against the payloads of 100 to 400 MiB.
const SLACK_MIB: f64 = 48.0;

/// The 100 MB string: as a Rust `String` and as a Python (ASCII, one byte per char)
/// `str`, it is `STRING_BYTES` on each side.
fn string_copy_mib() -> f64 {
    STRING_BYTES as f64 / MIB
}

/// 10 million ints: in Rust a `Vec<Value>` (`size_of::<Value>()` bytes each); in
/// Python a list (8 bytes per pointer) of int objects (32-byte pymalloc blocks for all
/// but the 257 cached small ints).
fn ints_rust_mib() -> f64 {
    (INTS * std::mem::size_of::<Value>()) as f64 / MIB
}
fn ints_python_mib() -> f64 {
    (INTS * (8 + 32)) as f64 / MIB
}

fn big_string() -> String {
    PATTERN.repeat(STRING_BYTES / PATTERN.len())
}

fn is_big_string(value: &Value) -> bool {
    match value {
        Value::String(text) => {
            text.len() == STRING_BYTES
                && text
                    .as_bytes()
                    .chunks(PATTERN.len())
                    .all(|chunk| chunk == PATTERN.as_bytes())
        }
        _ => false,
    }
}

fn many_ints() -> Value {
    Value::Seq((0..INTS as i64).map(Value::I64).collect())
}

fn is_many_ints(value: &Value) -> bool {
    match value {
        Value::Seq(items) => {
            items.len() == INTS
                && items
                    .iter()
                    .enumerate()
                    .all(|(i, item)| *item == Value::I64(i as i64))
        }
        _ => false,
    }
}

/// A task whose params are moved in (the `task` helper clones them).
fn moved_task(command: &str, params: Vec<(&str, Value)>) -> PyTask {
    let params: BTreeMap<String, Value> = params
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    PyTask::new(s(command), params)
}

/// Runs `phase` (which builds its input, makes the call and checks the result), and
/// checks the peak memory above the resident memory before it against `bound_mib`.
async fn measured<F: std::future::Future<Output = ()>>(
    label: &str,
    bound_mib: f64,
    phase: impl FnOnce() -> F,
) {
    // The engine thread drops a task's params only after handing the task over, which
    // can be after its caller got the result: an exclusive no-op runs on the engine
    // thread after that, so the previous phase has let go of everything.
    let mut settle = moved_task("echo", vec![("value", Value::Unit)]);
    settle.mark_exclusive();
    assert_eq!(call(settle).await, Ok(None));
    let before = resident_mib();
    reset_peak_resident();
    let started = Instant::now();
    phase().await;
    let took = started.elapsed();
    let peak = peak_resident_mib() - before;
    eprintln!(
        "{label}: {took:.2?}, peak +{peak:.0} MiB over {before:.0} MiB (bound +{bound_mib:.0} MiB)"
    );
    assert!(
        peak <= bound_mib,
        "{label}: peak memory grew by {peak:.0} MiB, over the bound of {bound_mib:.0} MiB"
    );
}

async fn call(task: PyTask) -> pime::Result<Option<Value>> {
    within(120, "a huge call", pime::call(task)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_values_cross_both_ways() {
    let engine = within(30, "start", start("huge_values", 1, 2)).await;
    let string = string_copy_mib();
    let (ints_rust, ints_python) = (ints_rust_mib(), ints_python_mib());

    // The string: one copy per side at most.
    measured(
        "100 MB str, Rust -> Python",
        2.0 * string + SLACK_MIB,
        || async {
            let checked = call(moved_task(
                "check_string",
                vec![
                    ("value", Value::String(big_string())),
                    ("length", Value::U64(STRING_BYTES as u64)),
                ],
            ))
            .await;
            let expected = Value::Seq(vec![Value::I64(STRING_BYTES as i64), Value::Bool(true)]);
            assert_eq!(checked, Ok(Some(expected)));
        },
    )
    .await;
    measured(
        "100 MB str, Python -> Rust",
        2.0 * string + SLACK_MIB,
        || async {
            let made = call(moved_task(
                "make_string",
                vec![("length", Value::U64(STRING_BYTES as u64))],
            ))
            .await
            .expect("make_string")
            .expect("a str");
            assert!(is_big_string(&made), "the str came back altered");
        },
    )
    .await;
    // Echo: the Rust input is dropped once Python has its copy, but the result may
    // start converting back before that; so up to three copies.
    measured("100 MB str, echo", 3.0 * string + SLACK_MIB, || async {
        let echoed = call(moved_task(
            "echo",
            vec![("value", Value::String(big_string()))],
        ))
        .await
        .expect("echo")
        .expect("a str");
        assert!(is_big_string(&echoed), "the str came back altered");
    })
    .await;

    // The ints: one copy per side at most.
    measured(
        "10M ints, Rust -> Python",
        ints_rust + ints_python + SLACK_MIB,
        || async {
            let checked = call(moved_task(
                "check_ints",
                vec![("value", many_ints()), ("count", Value::U64(INTS as u64))],
            ))
            .await;
            let sum = (INTS as i64) * (INTS as i64 - 1) / 2;
            let expected = Value::Seq(vec![
                Value::I64(INTS as i64),
                Value::I64(sum),
                Value::Bool(true),
            ]);
            assert_eq!(checked, Ok(Some(expected)));
        },
    )
    .await;
    measured(
        "10M ints, Python -> Rust",
        ints_rust + ints_python + SLACK_MIB,
        || async {
            let made = call(moved_task(
                "make_ints",
                vec![("count", Value::U64(INTS as u64))],
            ))
            .await
            .expect("make_ints")
            .expect("a list");
            assert!(is_many_ints(&made), "the list came back altered");
        },
    )
    .await;
    measured(
        "10M ints, echo",
        2.0 * ints_rust + ints_python + SLACK_MIB,
        || async {
            let echoed = call(moved_task("echo", vec![("value", many_ints())]))
                .await
                .expect("echo")
                .expect("a list");
            assert!(is_many_ints(&echoed), "the list came back altered");
        },
    )
    .await;

    within(30, "stop", engine.stop()).await.unwrap();
}
