//! Blocking helpers shared by the engine's slow paths: locking that ignores poisoning,
//! and a condvar wait with an optional deadline.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// Locks `mutex`, ignoring poisoning: a panic elsewhere leaves PIME's small critical
/// sections (a counter, an `Option` taken or put back) sound.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits on `changed` (notified under `guard`'s mutex) until `done` holds, or until
/// `deadline` passes; returns whether `done` held. Call it with the GIL released when
/// what it waits for needs the GIL.
pub(crate) fn wait_until<T>(
    changed: &Condvar,
    mut guard: MutexGuard<'_, T>,
    deadline: Option<Instant>,
    mut done: impl FnMut(&T) -> bool,
) -> bool {
    while !done(&guard) {
        guard = match deadline {
            None => changed.wait(guard).unwrap_or_else(|e| e.into_inner()),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return false;
                }
                changed
                    .wait_timeout(guard, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
    }
    true
}

/// How many threads of a pool are alive, and a wait until none is (the thread pool's
/// workers, the subinterpreter workers).
#[derive(Debug, Default)]
pub(crate) struct Census {
    live: Mutex<usize>,
    ended: Condvar,
}

impl Census {
    /// The count, locked (to count a thread in, or out with [`Census::notify`]).
    pub(crate) fn live(&self) -> MutexGuard<'_, usize> {
        lock(&self.live)
    }

    /// Wakes the waiters of [`Census::wait_none`] after the count went down.
    pub(crate) fn notify(&self) {
        self.ended.notify_all();
    }

    /// One thread has ended (or never started).
    pub(crate) fn ended(&self) {
        *self.live() -= 1;
        self.notify();
    }

    /// Waits until no thread is alive, or until `deadline`; returns whether none is.
    /// Call it with the GIL released when the threads need it to end.
    pub(crate) fn wait_none(&self, deadline: Option<Instant>) -> bool {
        wait_until(&self.ended, self.live(), deadline, |live| *live == 0)
    }
}

/// Counts a thread of a [`Census`] as alive until it ends, however it ends.
pub(crate) struct Alive<'a>(pub(crate) &'a Census);

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.ended();
    }
}
