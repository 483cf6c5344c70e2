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

    /// After the task's conversion succeeded: frees its values now, unless they are
    /// small; small ones are returned, for the caller's thread to free (see
    /// `jobs::Answer`). A bigger task is freed at once, so that a long call does not
    /// hold its params twice, as Rust values and as Python objects.
    pub(crate) fn converted(self) -> Option<PyTask> {
        let values = [Some(&self.command)]
            .into_iter()
            .flatten()
            .chain(self.params.iter().flat_map(BTreeMap::values))
            .chain(self.context.iter().flat_map(BTreeMap::values));
        if fits(values, HAND_BACK_BYTES) {
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

/// The most memory (roughly) a converted task's values may hold and still go back to
/// the caller's thread to be freed: small blocks are the ones glibc's allocator frees
/// slowly on another thread (larger ones go to its arenas or to `munmap` anyway).
const HAND_BACK_BYTES: usize = 4096;

/// Whether `values` (and what they hold) take about `budget` bytes or less. Stops as
/// soon as they take more; allocates only for nested containers.
fn fits<'a>(values: impl Iterator<Item = &'a Value>, mut budget: usize) -> bool {
    const NODE: usize = std::mem::size_of::<Value>();
    let mut nested = Vec::new();
    for value in values {
        let mut next = Some(value);
        while let Some(value) = next.take().or_else(|| nested.pop()) {
            let bytes = match value {
                Value::String(text) => text.len(),
                Value::Bytes(bytes) => bytes.len(),
                Value::Seq(items) => items.len() * NODE,
                Value::Map(map) => map.len() * 2 * NODE,
                Value::Option(Some(_)) | Value::Newtype(_) => NODE,
                _ => 0,
            };
            let Some(left) = budget.checked_sub(bytes + NODE) else {
                return false;
            };
            budget = left;
            match value {
                Value::Seq(items) => nested.extend(items),
                Value::Map(map) => nested.extend(map.iter().flat_map(|(k, v)| [k, v])),
                Value::Option(Some(inner)) | Value::Newtype(inner) => nested.push(&**inner),
                _ => {}
            }
        }
    }
    true
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
