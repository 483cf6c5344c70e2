//! Whether this thread has stack left for one more level of a recursive step: the
//! conversion of a nested value, a host call (whose argument converters may call the
//! host again). PIME's own threads have 8 MiB, but host calls and conversions also
//! run on threads Python started, whose stacks may be small (`threading.stack_size`):
//! running out there would crash the process, so each level checks first, and a step
//! that would go too deep fails with an error instead.
//!
//! The stack's bounds come from `stacker` (read once per thread from the OS).

/// The stack a level may still need after its check: a level of conversion (a few KiB
/// in a debug build), or a host call and the Python code its converters run.
const RESERVE: usize = 32 * 1024;

/// Whether another level fits (`true` where the bounds are unknown).
pub(crate) fn enough_left() -> bool {
    stacker::remaining_stack().is_none_or(|left| left >= RESERVE)
}
