//! The dispatch floor of any design that answers an async caller from another
//! thread: no Python at all. A caller sends its request over a channel to one plain
//! thread, which answers each through a `oneshot` at once. What remains is a tokio
//! task polled, a channel push, a thread's pop and a cross-thread wake per call:
//! what every `pime::call` pays on top of Python's own work, whatever PIME does.

use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use crate::drive::{BenchError, BenchResult};

/// One request: where its answer goes.
type Request = oneshot::Sender<()>;

/// The answering thread and the way to it.
pub struct Hop {
    requests: mpsc::UnboundedSender<Request>,
    thread: JoinHandle<()>,
}

impl Hop {
    pub fn start() -> BenchResult<Hop> {
        let (requests, mut incoming) = mpsc::unbounded_channel::<Request>();
        let thread = std::thread::Builder::new()
            .name("bench-hop".into())
            .spawn(move || {
                while let Some(reply) = incoming.blocking_recv() {
                    let _ = reply.send(());
                }
            })?;
        Ok(Hop { requests, thread })
    }

    /// A call's future: send, then await the answer.
    pub fn call(&self) -> impl std::future::Future<Output = BenchResult<()>> + Send + 'static {
        let requests = self.requests.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            requests
                .send(reply)
                .map_err(|_| BenchError::from("the hop thread ended"))?;
            answer.await.map_err(|_| BenchError::from("no answer"))
        }
    }

    pub fn stop(self) -> BenchResult<()> {
        drop(self.requests);
        self.thread
            .join()
            .map_err(|_| BenchError::from("the hop thread panicked"))
    }
}
