//! A pool worker waiting in a sync host call: it drives the host future on its own
//! thread and lends its place in the pool meanwhile, so the tasks the host function
//! sends back into Python (or any other) never wait for it.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;

use pyo3::prelude::*;

use super::workers::{this_workers_pool, Shared};

/// Drives `future` to its end on this thread with `runtime`, the GIL released (a sync
/// host call). A pool worker lends its place meanwhile: while it waits, another
/// worker may start beyond the maximum, so a host function that calls back into
/// Python (with a pool of one, or every worker waiting in a host call) gets its
/// tasks run; the extra worker ends once the wait is over. The waiting thread itself
/// runs nothing else, so no other task shares its thread state (thread-locals, locks)
/// while the broker waits.
pub(crate) fn block_on_lending<F>(
    py: Python<'_>,
    runtime: &tokio::runtime::Handle,
    future: F,
) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let mut future = pin!(future);
    // Most host futures are ready at once (a no-op, a cache hit): one poll, without the
    // machinery of a blocking wait. Its waker does nothing: a future still pending
    // gets the real one at its next poll, in `block_on`.
    let first = py.detach(|| {
        let _runtime = runtime.enter();
        future
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    });
    if let Poll::Ready(output) = first {
        return output;
    }
    let shared = this_workers_pool();
    let _lent = shared.as_ref().map(Lent::new);
    py.detach(|| runtime.block_on(future))
}

/// A worker's place, lent while it waits in a host call.
struct Lent<'a>(&'a Arc<Shared>);

impl<'a> Lent<'a> {
    fn new(shared: &'a Arc<Shared>) -> Self {
        shared.lend_place();
        Lent(shared)
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0.take_place_back();
    }
}

impl Shared {
    /// A worker of this pool starts waiting in a host call: its place is lent.
    pub(super) fn lend_place(self: &Arc<Self>) {
        self.lent.fetch_add(1, Ordering::SeqCst);
        // Paired with the fence in `submit`: either it sees the lent place, or this
        // sees its task.
        std::sync::atomic::fence(Ordering::SeqCst);
        // Tasks queued before the place was lent may have found every worker busy:
        // wake (or, in the lent place, start) a searcher for them. A task sent later
        // does the same itself (`PoolSender::submit`).
        if !self.tasks.is_empty() {
            self.wake_searcher();
        }
    }

    /// The wait is over: the place is taken back (a worker started in it ends after
    /// its task, `leave_if_over`).
    pub(super) fn take_place_back(&self) {
        self.lent.fetch_sub(1, Ordering::SeqCst);
    }
}
