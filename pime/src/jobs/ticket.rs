//! `Ticket`: a task from the moment a thread takes it off a queue to its end, without
//! anything Python: its reply slot, its place under the bound, its per-command timing
//! and its span. Every path ends a task through one — `Job` for the paths in the main
//! interpreter, the subinterpreter workers directly — so answering the caller, counting
//! the outcome and recording the timing happen here and nowhere else.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde_value::Value;

use super::envelope::Submission;
use super::in_flight::Admission;
use super::reply::{Answer, ReplySlot, ReplyTo, StreamEvent};
use super::settings::JobSettings;
use crate::error::Result;
use crate::python::call_span::CallSpan;
use crate::stats::{Outcome, COUNTERS};
use crate::task::PyTask;
use crate::waiting::lock;

/// A task that has started (or is about to), and where its outcome goes.
pub(crate) struct Ticket {
    pub(crate) reply: Arc<ReplySlot>,
    /// The command's text, kept when debug logging or per-command stats want it.
    label: Option<String>,
    pub(crate) settings: Arc<JobSettings>,
    /// A caller waits for one answer (`pime::call`, not `no_wait` or a stream): the
    /// task's small values can go back to its thread with the answer.
    pub(crate) answers_once: bool,
    started: OnceLock<Instant>,
    /// The task's place under the engine's bound, held until the task has ended.
    /// Released explicitly (not with the ticket) because a Python reference cycle (an
    /// exception kept with its traceback) can keep a job object alive long after.
    admission: Mutex<Option<Admission>>,
    /// The call's tracing span: entered while the broker runs, and given to Python for
    /// the code that runs on the call's behalf elsewhere.
    pub(crate) span: CallSpan,
}

impl Ticket {
    /// Takes `submission` off its queue: `None` when its caller has gone already (the
    /// task counts as cancelled), the ticket and the task to convert otherwise.
    pub(crate) fn take(
        submission: Submission,
        settings: &Arc<JobSettings>,
    ) -> Option<(Ticket, PyTask)> {
        let Submission {
            task,
            reply,
            mut admission,
            interrupt,
            span,
        } = submission;
        if reply.as_ref().is_some_and(ReplyTo::is_closed) {
            admission.end(Outcome::Cancelled);
            return None;
        }
        let answers_once = matches!(reply, Some(ReplyTo::Once(_)));
        let reply = ReplySlot::new(reply, interrupt);
        admission.start(&reply);
        let label =
            (settings.debug || COUNTERS.per_command_enabled()).then(|| task.command_label());
        let ticket = Ticket {
            reply,
            label,
            settings: Arc::clone(settings),
            answers_once,
            started: OnceLock::new(),
            admission: Mutex::new(Some(admission)),
            span,
        };
        Some((ticket, task))
    }

    /// Starts the clock of per-command timings (when kept): when the broker is
    /// called, or the task handed to a user's executor.
    pub(crate) fn mark_started(&self) {
        if self.label.is_some() {
            let _ = self.started.set(Instant::now());
        }
    }

    /// The task has ended with `outcome`: its place under the bound is free.
    pub(crate) fn release(&self, outcome: Outcome) {
        self.reply.forget_coroutine();
        // A caller the stop sequence answered with an error got no result.
        let outcome = if self.reply.failed_by_stop() {
            Outcome::Failed
        } else {
            outcome
        };
        if let Some(admission) = lock(&self.admission).take() {
            admission.end(outcome);
        }
    }

    /// Ends a stream task whose pump returned `outcome` (the pump sent the last event).
    pub(crate) fn end_stream(&self, outcome: &Result<()>) {
        drop(self.reply.take());
        self.record(outcome);
        self.release(Outcome::of(outcome));
    }

    /// Answers the caller (or logs, for `no_wait`) and records the outcome.
    pub(crate) fn finish(&self, outcome: Result<Option<Value>>) {
        self.finish_with(outcome, None);
    }

    /// [`Ticket::finish`], handing the caller the task's values to free.
    pub(crate) fn finish_with(&self, outcome: Result<Option<Value>>, spent: Option<PyTask>) {
        self.release(Outcome::of(&outcome));
        self.record(&outcome);
        if let (true, Some(label)) = (self.settings.debug, &self.label) {
            log_task(label, self.started.get(), &outcome);
        }
        match self.reply.take() {
            Some(ReplyTo::Once(sender)) => {
                // The caller may have gone meanwhile; then the answer is dropped here.
                let _ = sender.send(Answer { outcome, spent });
            }
            Some(ReplyTo::Stream(sender)) => {
                // A stream task that ended before streaming (the broker raised).
                let event = match outcome {
                    Err(error) => StreamEvent::Error(error),
                    Ok(_) => StreamEvent::End,
                };
                let _ = sender.try_send(event);
            }
            None => {
                if let Err(error) = outcome {
                    log::warn!(target: "pime", "no_wait task failed: {error}");
                }
            }
        }
    }

    /// Per-command timings, when they are collected.
    fn record<T>(&self, outcome: &Result<T>) {
        if let (Some(label), Some(started)) = (&self.label, self.started.get()) {
            if COUNTERS.per_command_enabled() {
                let refused = outcome
                    .as_ref()
                    .err()
                    .is_some_and(|error| error.exception.as_deref() == Some("UnknownCommandError"));
                COUNTERS.record(label, started.elapsed(), outcome.is_ok(), !refused);
            }
        }
    }
}

fn log_task(label: &str, started: Option<&Instant>, outcome: &Result<Option<Value>>) {
    let elapsed = started
        .map(|s| format!(" in {:?}", s.elapsed()))
        .unwrap_or_default();
    match outcome {
        Ok(_) => log::debug!(target: "pime", "task {label} ok{elapsed}"),
        Err(e) => log::debug!(target: "pime", "task {label} failed{elapsed}: {e}"),
    }
}
