//! The dispatch floor of any design that answers an async caller from another
//! thread. A caller sends its request over a channel to one plain thread, which
//! answers each through a `oneshot`. Two kinds:
//!
//! * [`Hop::start`], no Python at all: the thread answers at once. What remains is a
//!   tokio task polled, a channel push, a thread's pop and a cross-thread wake per
//!   call: what every `pime::call` pays on top of Python's own work, whatever PIME does.
//! * [`Hop::start_python`]: the thread holds the GIL while requests are queued (it lets
//!   it go only to wait for more) and makes the floor's call for each — params
//!   converted, broker called, result converted back. The least any design with a
//!   thread hop can cost per call: the hop plus the floor's work, with no bound, no
//!   stats, no cancellation, no context.

use std::sync::Arc;
use std::thread::JoinHandle;

use pyo3::prelude::*;
use serde_value::Value;
use tokio::sync::{mpsc, oneshot};

use crate::broker::Request;
use crate::convert;
use crate::drive::{BenchError, BenchResult};

/// One request: what to call (Python hop only) and where its answer goes.
type Message = (Option<Request>, oneshot::Sender<Option<Value>>);

/// The answering thread and the way to it.
pub struct Hop {
    requests: mpsc::UnboundedSender<Message>,
    /// What each call sends (the Python hop's request; `None` for the bare hop).
    request: Option<Request>,
    thread: JoinHandle<BenchResult<()>>,
}

impl Hop {
    /// The bare hop: no Python.
    pub fn start() -> BenchResult<Hop> {
        let (requests, mut incoming) = mpsc::unbounded_channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("bench-hop".into())
            .spawn(move || {
                while let Some((_, reply)) = incoming.blocking_recv() {
                    let _ = reply.send(None);
                }
                Ok(())
            })?;
        Ok(Hop {
            requests,
            request: None,
            thread,
        })
    }

    /// The hop whose thread calls `broker` with `request` for each call, as the floor does.
    pub fn start_python(broker: Arc<Py<PyAny>>, request: Request) -> BenchResult<Hop> {
        let (requests, mut incoming) = mpsc::unbounded_channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("bench-hop".into())
            .spawn(move || {
                Python::attach(|py| {
                    let broker = broker.bind(py);
                    loop {
                        let message = match incoming.try_recv() {
                            Ok(message) => message,
                            Err(mpsc::error::TryRecvError::Disconnected) => return Ok(()),
                            Err(mpsc::error::TryRecvError::Empty) => {
                                match py.detach(|| incoming.blocking_recv()) {
                                    Some(message) => message,
                                    None => return Ok(()),
                                }
                            }
                        };
                        let (Some(request), reply) = message else {
                            return Err(BenchError::from("a Python hop call without a request"));
                        };
                        let result =
                            convert::call_broker(py, broker, request.command, &request.params)?;
                        let _ = reply.send(result);
                    }
                })
            })?;
        Ok(Hop {
            requests,
            request: Some(request),
            thread,
        })
    }

    /// A call's future: send, then await the answer.
    pub fn call(&self) -> impl std::future::Future<Output = BenchResult<()>> + Send + 'static {
        let requests = self.requests.clone();
        let request = self.request.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            requests
                .send((request, reply))
                .map_err(|_| BenchError::from("the hop thread ended"))?;
            answer.await.map_err(|_| BenchError::from("no answer"))?;
            Ok(())
        }
    }

    pub fn stop(self) -> BenchResult<()> {
        drop(self.requests);
        self.thread
            .join()
            .map_err(|_| BenchError::from("the hop thread panicked"))?
    }
}
