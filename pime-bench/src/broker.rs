//! The benchmark's broker (`python/benchmod.py`) and the tasks every contender sends it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use serde_value::Value;

/// The module and attribute of the broker.
pub const MODULE: &str = "benchmod";
pub const ATTRIBUTE: &str = "broker";

/// The module's executor factory for the process-pool row, and how many worker
/// processes it starts.
pub const PROCESS_POOL: &str = "process_pool";
pub const PROCESS_POOL_WORKERS: &str = "PROCESS_POOL_WORKERS";
/// Ends the factory's worker processes (the engine leaves a user executor running).
pub const SHUTDOWN_PROCESS_POOL: &str = "shutdown_process_pool";

/// The directory that holds `benchmod.py`.
pub fn module_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Imports the broker for the contenders that call it directly (floor, naive).
pub fn import() -> PyResult<Arc<Py<PyAny>>> {
    Python::attach(|py| {
        let dir = module_dir();
        let dir = dir.to_string_lossy();
        let sys_path = py.import("sys")?.getattr("path")?;
        if !sys_path.contains(dir.as_ref())? {
            sys_path.call_method1("insert", (0, dir.as_ref()))?;
        }
        let broker = py.import(MODULE)?.getattr(ATTRIBUTE)?;
        Ok(Arc::new(broker.unbind()))
    })
}

/// What one call asks of the broker: the command and its params.
#[derive(Clone)]
pub struct Request {
    pub command: &'static str,
    pub params: BTreeMap<String, Value>,
}

impl Request {
    /// The no-op call: one small int param, `None` back.
    pub fn noop() -> Self {
        Request {
            command: "noop",
            params: BTreeMap::from([("n".to_string(), Value::I64(1))]),
        }
    }

    /// `time.sleep(seconds)` in the broker.
    pub fn sleep(seconds: f64) -> Self {
        Request {
            command: "sleep",
            params: BTreeMap::from([("seconds".to_string(), Value::F64(seconds))]),
        }
    }

    /// `await asyncio.sleep(seconds)` in a coroutine the broker returns (an async command).
    pub fn async_sleep(seconds: f64) -> Self {
        Request {
            command: "async_sleep",
            params: BTreeMap::from([("seconds".to_string(), Value::F64(seconds))]),
        }
    }

    /// The payload round trip: `rows` goes in, the broker returns it unchanged.
    pub fn echo(rows: usize) -> Self {
        Request {
            command: "echo",
            params: BTreeMap::from([("rows".to_string(), payload(rows))]),
        }
    }

    /// A CPU-bound pure-Python loop of `steps` steps.
    pub fn cpu(steps: i64) -> Self {
        Request {
            command: "cpu",
            params: BTreeMap::from([("n".to_string(), Value::I64(steps))]),
        }
    }

    /// A CPU-bound pure-Python loop that runs until [`Request::release`].
    pub fn spin() -> Self {
        Request::bare("spin")
    }

    /// Lets the next `spin` calls run (clears the release flag).
    pub fn arm() -> Self {
        Request::bare("arm")
    }

    /// Ends every running `spin`.
    pub fn release() -> Self {
        Request::bare("release")
    }

    fn bare(command: &'static str) -> Self {
        Request {
            command,
            params: BTreeMap::new(),
        }
    }
}

/// A list of `rows` dicts of four fields each: int, float, str, str.
fn payload(rows: usize) -> Value {
    let row = |i: usize| {
        Value::Map(BTreeMap::from([
            (Value::String("id".into()), Value::I64(i as i64)),
            (Value::String("score".into()), Value::F64(i as f64 * 0.5)),
            (
                Value::String("name".into()),
                Value::String(format!("item-{i}")),
            ),
            (
                Value::String("tag".into()),
                Value::String("benchmark".into()),
            ),
        ]))
    };
    Value::Seq((0..rows).map(row).collect())
}
