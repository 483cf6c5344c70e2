//! The caller's side: what async Rust code uses to reach Python.
//!
//! * `call`: [`call`](crate::call), [`call_stream`](crate::call_stream) and
//!   [`reload`](crate::reload) — put a task (or a reload request) on its way into the
//!   engine and await the reply slot it carries.
//! * `stream`: [`PyStream`](crate::PyStream), the receiving end of a streamed result.
//! * `decode`: serde decoding of results and stream items, with errors that name the
//!   command and the Rust type.
//!
//! May use: `engine` (to find the way in), `jobs` (the envelope and reply types),
//! and the top-level `task`, `error`, `stats`. Nothing below calls back up here.

mod call;
pub(crate) mod decode;
mod stream;

pub use call::{call, call_stream, reload, reload_module};
pub use stream::PyStream;
