//! Graceful stop on SIGINT (Ctrl-C) and SIGTERM.
//!
//! The first signal starts a graceful stop: the server stops accepting, in-flight
//! requests finish, then the Python engine stops. A second signal exits at once,
//! for when a broker is stuck and the operator insists.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// The registered signal streams; see [`Signals::first`].
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    /// Replaces the default "terminate the process" action of SIGINT and SIGTERM.
    pub fn install() -> std::io::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves at the first SIGINT or SIGTERM, and from then on exits the process at
    /// once (status 128 + signal number) on the next one.
    pub async fn first(mut self) {
        let name = self.next().await;
        log::info!("{name}: stopping gracefully (in-flight requests finish; send it again to exit at once)");
        tokio::spawn(async move {
            let name = self.next().await;
            log::warn!("{name} again: exiting without waiting");
            std::process::exit(if name == "SIGINT" { 130 } else { 143 });
        });
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}
