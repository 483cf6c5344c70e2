//! `PyTask`: one request for the broker.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_value::Value;

use crate::value;

/// One request for the Python broker: `broker(command, params)`.
///
/// Its values may be nested to any depth (conversion refuses what is deeper than
/// [`crate::MAX_DEPTH`]); dropping a task never recurses, however deep.
///
/// ```
/// use std::collections::BTreeMap;
/// use serde_value::Value;
///
/// let mut params = BTreeMap::new();
/// params.insert("name".to_string(), Value::String("Rust".into()));
/// let mut task = pime::PyTask::new(Value::String("hello".into()), params);
/// task.mark_exclusive();
/// assert!(task.is_exclusive() && !task.is_no_wait());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PyTask {
    pub(crate) command: Value,
    pub(crate) params: Option<BTreeMap<String, Value>>,
    pub(crate) no_wait: bool,
    pub(crate) exclusive: bool,
    pub(crate) context: Option<BTreeMap<String, Value>>,
    pub(crate) timeout: Option<Duration>,
}

impl PyTask {
    /// A task that calls `broker(command, params)`, `params` becoming a Python `dict`.
    pub fn new(command: Value, params: BTreeMap<String, Value>) -> Self {
        PyTask {
            command,
            params: Some(params),
            no_wait: false,
            exclusive: false,
            context: None,
            timeout: None,
        }
    }

    /// A task without params: the broker receives `None` as `params`.
    pub fn new0(command: Value) -> Self {
        PyTask {
            command,
            params: None,
            no_wait: false,
            exclusive: false,
            context: None,
            timeout: None,
        }
    }

    /// Fire and forget: [`crate::call`] returns `Ok(None)` as soon as the engine has
    /// accepted the task; the result is dropped and a Python exception is only logged.
    pub fn no_wait(&mut self) -> &mut Self {
        self.no_wait = true;
        self
    }

    /// Run inline on the engine's GIL thread instead of the thread pool: no queue
    /// behind busy workers, but exclusive tasks run one at a time, each waiting until
    /// the one before returns, and while one holds the GIL no Python code runs
    /// elsewhere. Keep such brokers short.
    pub fn mark_exclusive(&mut self) -> &mut Self {
        self.exclusive = true;
        self
    }

    /// Attaches a context value (for example a request id) that the broker reads with
    /// `pime.context()` from the helper package, isolated per task (`contextvars`).
    /// Not carried into process-based executors.
    pub fn set_context(&mut self, key: impl Into<String>, value: Value) -> &mut Self {
        self.context
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value);
        self
    }

    /// Gives up on the task after `timeout` (waiting for room included): [`crate::call`]
    /// then returns an [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) error, a task
    /// not started is cancelled, and with
    /// [`interrupt_on_deadline`](crate::EngineBuilder::interrupt_on_deadline) a
    /// running sync broker is interrupted. Ignored for `no_wait` tasks once queued;
    /// [`crate::call_stream`] refuses a task with a timeout.
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = Some(timeout);
        self
    }

    /// The timeout set with [`PyTask::set_timeout`].
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The context values set with [`PyTask::set_context`].
    pub fn context(&self) -> Option<&BTreeMap<String, Value>> {
        self.context.as_ref()
    }

    /// After the task's conversion succeeded: frees its values now, unless a caller
    /// waits for the answer (`caller_frees`) and they are small; then they are
    /// returned, for the caller's thread to free (see `jobs::Answer`). Bigger ones are
    /// freed at once, so that a long call does not hold its params twice, as Rust
    /// values and as Python objects.
    pub(crate) fn converted(self, caller_frees: bool) -> Option<PyTask> {
        let mut budget = Budget(HAND_BACK_BYTES);
        let small = caller_frees
            && budget.value(&self.command)
            && self.params.iter().all(|params| budget.entries(params))
            && self.context.iter().all(|context| budget.entries(context));
        if small {
            Some(self)
        } else {
            self.drop_converted();
            None
        }
    }

    /// Drops the values of a task whose conversion succeeded, so they are at most
    /// [`crate::MAX_DEPTH`] deep: the ordinary recursive drop is safe and cheapest.
    pub(crate) fn drop_converted(mut self) {
        drop(std::mem::replace(&mut self.command, Value::Unit));
        drop(self.params.take());
        drop(self.context.take());
    }

    /// The command as messages name it: its text, or the value's debug form.
    pub(crate) fn command_label(&self) -> String {
        match &self.command {
            Value::String(s) => s.clone(),
            other => format!("{other:?}"),
        }
    }

    /// The command the broker receives.
    pub fn command(&self) -> &Value {
        &self.command
    }

    /// The params the broker receives (`None` for [`PyTask::new0`]).
    pub fn params(&self) -> Option<&BTreeMap<String, Value>> {
        self.params.as_ref()
    }

    /// Whether [`PyTask::no_wait`] was set.
    pub fn is_no_wait(&self) -> bool {
        self.no_wait
    }

    /// Whether [`PyTask::mark_exclusive`] was set.
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
    }
}

/// The most heap memory (roughly) a converted task's values may hold and still go
/// back to the caller's thread to be freed. Freeing them on the worker costs per
/// block, but holding them until the call ends costs their size: past this, they are
/// freed at once.
const HAND_BACK_BYTES: usize = 4096;

/// Heap memory left to account for; each method says whether what it counted fit.
/// It stops counting once over, and allocates only for nested containers.
struct Budget(usize);

impl Budget {
    fn spend(&mut self, bytes: usize) -> bool {
        match self.0.checked_sub(bytes) {
            Some(left) => {
                self.0 = left;
                true
            }
            None => false,
        }
    }

    /// What `value` and everything in it hold on the heap (buffers by capacity).
    fn value(&mut self, value: &Value) -> bool {
        const NODE: usize = std::mem::size_of::<Value>();
        let mut nested = Vec::new();
        let mut next = Some(value);
        while let Some(value) = next.take().or_else(|| nested.pop()) {
            let bytes = match value {
                Value::String(text) => text.capacity(),
                Value::Bytes(bytes) => bytes.capacity(),
                Value::Seq(items) => items.capacity() * NODE,
                Value::Map(map) => map.len() * 2 * NODE,
                Value::Option(Some(_)) | Value::Newtype(_) => NODE,
                _ => 0,
            };
            if !self.spend(bytes) {
                return false;
            }
            match value {
                Value::Seq(items) => nested.extend(items),
                Value::Map(map) => nested.extend(map.iter().flat_map(|(k, v)| [k, v])),
                Value::Option(Some(inner)) | Value::Newtype(inner) => nested.push(&**inner),
                _ => {}
            }
        }
        true
    }

    /// A params or context map: each entry (its key's `String` and text, its value in
    /// the map's node) and what its value holds.
    fn entries(&mut self, map: &BTreeMap<String, Value>) -> bool {
        const ENTRY: usize = std::mem::size_of::<(String, Value)>();
        map.iter()
            .all(|(key, value)| self.spend(ENTRY + key.capacity()) && self.value(value))
    }
}

impl Drop for PyTask {
    // Whatever path drops a task (refused, cancelled, stopped, failed to convert, or a
    // caller's future dropped while it waits for room), its values go without
    // recursion, so a value nested deeper than the stack allows cannot overflow it.
    fn drop(&mut self) {
        value::drop_iteratively(std::mem::replace(&mut self.command, Value::Unit));
        for map in [self.params.take(), self.context.take()]
            .into_iter()
            .flatten()
        {
            for item in map.into_values() {
                value::drop_iteratively(item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(params: BTreeMap<String, Value>) -> bool {
        Budget(HAND_BACK_BYTES).entries(&params)
    }

    fn one(key: &str, value: Value) -> BTreeMap<String, Value> {
        BTreeMap::from([(key.to_string(), value)])
    }

    #[test]
    fn small_values_fit_and_big_ones_do_not() {
        assert!(fits(one("n", Value::I64(1))));
        assert!(fits(one("s", Value::String("x".repeat(2000)))));
        assert!(!fits(one("s", Value::String("x".repeat(5000)))));
        // Keys count too, and buffers by what they hold, not by their length.
        assert!(!fits(one(&"k".repeat(5000), Value::Unit)));
        let mut roomy = String::with_capacity(8192);
        roomy.push('x');
        assert!(!fits(one("s", Value::String(roomy))));
        assert!(!fits(one("b", Value::Bytes(vec![0; 5000]))));
    }

    #[test]
    fn nested_values_count_what_they_hold() {
        let ints = |n: i64| Value::Seq((0..n).map(Value::I64).collect());
        assert!(fits(one("list", ints(50))));
        assert!(!fits(one("list", ints(200))));
        let boxed = Value::Option(Some(Box::new(Value::Newtype(Box::new(Value::String(
            "x".repeat(5000),
        ))))));
        assert!(!fits(one("boxed", boxed)));
        let map = Value::Map(
            (0..100)
                .map(|i| (Value::I64(i), Value::String("v".into())))
                .collect(),
        );
        assert!(!fits(one("map", map)));
        // A huge value is refused without walking it all.
        assert!(!fits(one("huge", ints(1_000_000))));
        let deep = (0..1_000).fold(Value::Unit, |inner, _| Value::Seq(vec![inner]));
        assert!(!fits(one("deep", deep)));
    }
}
