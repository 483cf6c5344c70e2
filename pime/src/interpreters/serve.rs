//! One task on a subinterpreter worker: convert, call the broker, convert back and
//! answer — through the same [`Ticket`] (answer, count, time) and stream pump as every
//! other path.

use pyo3::ffi;
use serde_value::Value;

use super::convert::{self, Unpacker};
use super::interpreter::Runtime;
use super::object::Object;
use super::reloads::Reloads;
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::stream_pump::{self, ItemSource};
use crate::jobs::Ticket;
use crate::stats::Outcome;
use crate::task::PyTask;
use crate::value::shortened_label;

/// A worker's interpreter-side state: its runtime functions and its broker.
pub(super) struct Worker<'i> {
    pub(super) runtime: Runtime<'i>,
    broker: Object<'i>,
    /// The reload the broker is from (see [`Reloads`]).
    generation: u64,
}

impl<'i> Worker<'i> {
    /// Loads the broker of the latest reload (the one `start` named, before any).
    pub(super) fn start(runtime: Runtime<'i>, reloads: &Reloads) -> Result<Worker<'i>> {
        let (generation, origin) = reloads.latest();
        let broker = runtime.load_broker(&origin, false)?;
        Ok(Worker {
            runtime,
            broker,
            generation,
        })
    }

    /// Runs `submission`, sent when reload `generation` was the latest. Never fails:
    /// every failure goes to the caller, or for `no_wait` to the log.
    pub(super) fn serve(
        &mut self,
        ticket: Ticket,
        task: PyTask,
        generation: u64,
        reloads: &Reloads,
    ) {
        self.catch_up(generation, reloads);
        let arguments = match self.arguments(&task) {
            Ok(arguments) => arguments,
            Err(error) => return ticket.finish(Err(error)),
        };
        let spent = task.converted(ticket.answers_once);
        if ticket.reply.is_abandoned() {
            // The caller dropped its future while the task was being converted.
            ticket.release(Outcome::Cancelled);
            return;
        }
        ticket.mark_started();
        let [command, params, context] = &arguments;
        let called = ticket.span.in_scope(|| {
            self.runtime
                .call
                .call(&[&self.broker, command, params, context])
        });
        let result = match called {
            Ok(result) => result,
            Err(exception) => {
                return ticket.finish_with(Err(self.runtime.error(&exception)), spent)
            }
        };
        if ticket.reply.is_stream() {
            let Some(sender) = ticket.reply.stream_sender() else {
                return;
            };
            let items = Items::new(&self.runtime, &result);
            let outcome = ticket
                .span
                .in_scope(|| stream_pump::pump(items, sender, &ticket.settings.stopping));
            return ticket.end_stream(&outcome);
        }
        let value = if result.is_none() {
            Ok(None)
        } else {
            Unpacker::new(&self.runtime.plain)
                .value(&result, "result")
                .map(Some)
                .map_err(|mut error| {
                    error.message = format!("{}: {}", command_label(command), error.message);
                    error
                })
        };
        ticket.finish_with(value, spent);
    }

    /// Reloads the broker if reload `wanted` is one this worker has not made yet. The
    /// reload worked in a fresh interpreter already; should it fail here all the same
    /// (the module changed on disk since, say), the worker keeps its broker, says so in
    /// the log, and serves on.
    pub(super) fn catch_up(&mut self, wanted: u64, reloads: &Reloads) {
        if wanted <= self.generation {
            return;
        }
        let (generation, origin) = reloads.latest();
        match self.runtime.load_broker(&origin, true) {
            Ok(broker) => self.broker = broker,
            Err(error) => log::warn!(
                target: "pime",
                "a subinterpreter worker keeps its broker: {error}"
            ),
        }
        self.generation = generation;
    }

    /// The command, params and context as objects of this interpreter.
    fn arguments(&self, task: &PyTask) -> Result<[Object<'i>; 3]> {
        let gil = self.runtime.gil;
        let command = convert::to_python(gil, &task.command, "command")?;
        let params = match &task.params {
            Some(params) => convert::map_to_python(gil, params, "params")?,
            None => gil.none(),
        };
        let context = match &task.context {
            Some(context) => convert::map_to_python(gil, context, "context")?,
            None => gil.none(),
        };
        Ok([command, params, context])
    }
}

/// A command as error messages show it, as on the main interpreter's path: its text (a
/// `str`), or its `repr`; at most 100 characters. Made only on failure.
fn command_label(command: &Object<'_>) -> String {
    let text = command.to_text().unwrap_or_else(|| {
        // SAFETY: under the GIL; a new reference or null with an exception (cleared).
        let repr = unsafe { command.gil().own(ffi::PyObject_Repr(command.as_ptr())) };
        repr.ok()
            .and_then(|repr| repr.to_text())
            .unwrap_or_else(|| format!("<{}>", convert::type_name(command)))
    });
    shortened_label(text)
}

/// A stream's items, from what the broker returned (`_pime_interpreter.stream` makes an
/// iterator of a generator, an async generator or another iterable).
struct Items<'a, 'i> {
    runtime: &'a Runtime<'i>,
    iterator: Object<'i>,
}

impl<'a, 'i> Items<'a, 'i> {
    fn new(runtime: &'a Runtime<'i>, result: &Object<'i>) -> Result<Self> {
        match runtime.stream.call(&[result]) {
            Ok(iterator) => Ok(Items { runtime, iterator }),
            Err(exception) => Err(Error::new(
                ErrorKind::UnpackError,
                convert::message_of(&exception),
            )),
        }
    }
}

impl ItemSource for Items<'_, '_> {
    fn next_item(&mut self, index: usize) -> Result<Option<Value>> {
        let gil = self.runtime.gil;
        // SAFETY: under the GIL; `iterator` is an iterator (`iter()` made it); a new
        // reference, or null at the end (no exception) or on an error (one set).
        let next = unsafe { ffi::PyIter_Next(self.iterator.as_ptr()) };
        if next.is_null() {
            // SAFETY: under the GIL.
            if unsafe { ffi::PyErr_Occurred() }.is_null() {
                return Ok(None);
            }
            return Err(self.runtime.error(&gil.fetch()));
        }
        // SAFETY: a new reference from `PyIter_Next`.
        let item = unsafe { gil.own(next) }.map_err(|e| self.runtime.error(&e))?;
        match Unpacker::new(&self.runtime.plain).value(&item, &format!("item[{index}]")) {
            Ok(value) => Ok(Some(value)),
            Err(error) => {
                self.close();
                Err(error)
            }
        }
    }

    fn close(&mut self) {
        if let Err(e) = self.runtime.close.call(&[&self.iterator]) {
            log::warn!(
                target: "pime",
                "closing a stream's generator raised: {}",
                convert::message_of(&e)
            );
        }
    }

    fn released<R: Send>(&mut self, wait: impl FnOnce() -> R + Send) -> R {
        self.runtime.gil.released(wait)
    }
}
