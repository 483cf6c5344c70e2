//! One task's life on the Python side, from the moment a thread holding the GIL takes
//! it to the moment its caller is answered.
//!
//! * `envelope`: what travels into the engine thread (tasks, reloads, cancels, stop).
//! * `job`: a task as a Python object — convert, call the broker, convert back, answer.
//! * `shared_broker`: the broker new tasks are served by, swapped by a hot reload.
//! * `reply`: the reply slot each task carries (a one-shot reply or a stream).
//! * `in_flight`: the one bound on tasks (an `Admission` each), and the gauges.
//! * `cancel`: cancelling a coroutine whose caller went away.
//! * `interrupt`: interrupting a running sync broker at its deadline (opt-in).
//! * `stream_pump`: feeding a generator's items into the caller's stream.
//!
//! May use: `python` (exceptions, embedded sources), `value`, `task`, `error`,
//! `stats`, `waiting`. Used by `pool` and `engine`, which decide where a job runs.

mod cancel;
mod envelope;
mod in_flight;
mod interrupt;
mod job;
mod reply;
mod shared_broker;
mod stream_pump;

pub(crate) use envelope::{Envelope, ReloadRequest, Submission};
pub(crate) use in_flight::InFlight;
pub(crate) use interrupt::Interrupt;
pub(crate) use job::{BrokerCall, Job, JobSettings};
pub(crate) use reply::{ReplyTo, StreamEvent};
pub(crate) use shared_broker::{check_callable, SharedBroker};
