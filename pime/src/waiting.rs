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
