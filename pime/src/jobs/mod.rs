//! One task's life on the Python side, from the moment a thread holding the GIL takes
//! it to the moment its caller is answered.
//!
//! * `envelope`: what travels into the engine thread (tasks, reloads, cancels, stop).
//! * `settings`: what every task of a launch shares.
//! * `ticket`: a taken task's accounting on every path: answer, count, time.
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
mod settings;
mod shared_broker;
pub(crate) mod stream_pump;
mod ticket;

pub(crate) use envelope::{Envelope, ReloadRequest, Submission};
pub(crate) use in_flight::InFlight;
pub(crate) use interrupt::Interrupt;
pub(crate) use job::{BrokerCall, Job};
pub(crate) use reply::{Answer, ReplyTo, StreamEvent};
pub(crate) use settings::JobSettings;
pub(crate) use shared_broker::{check_callable, SharedBroker};
// The subinterpreter pool (built against CPython 3.12+) takes tickets directly.
#[cfg_attr(not(Py_3_12), allow(unused_imports))]
pub(crate) use ticket::Ticket;
