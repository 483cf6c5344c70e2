//! The http example: a real axum web server whose GET routes are answered by a
//! Python broker (`webapp/__init__.py`) through PIME.
//!
//! ```text
//! cargo run -p http-example -- 8080        # or PORT=8080; 0 picks a free port
//! curl 'http://127.0.0.1:8080/hello?name=Rust'
//! ```
//!
//! Every GET path becomes one PIME task: the command is the path, the params are
//! `{"query": {..}, "headers": {..}}`. A returned `str` is answered 200, a
//! `KeyError` 404, any other exception 500 (see [`routes`]). SIGINT and SIGTERM
//! stop the server gracefully: it stops accepting, lets in-flight requests finish,
//! stops the Python engine and exits 0; a second signal exits at once (see
//! [`shutdown`]).
//!
//! The first line on stdout is always `listening on http://ADDRESS`, so scripts
//! and tests can find the port.

mod config;
mod logger;
mod routes;
mod shutdown;

use std::error::Error;
use std::io::Write;
use std::net::Ipv4Addr;
use std::process::ExitCode;

use tokio::net::TcpListener;

/// Where the `webapp` package lives: beside this crate's manifest.
const APP_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Python worker threads: pre-spawned and maximum. The maximum bounds how many
/// requests run Python at once; further requests wait in the engine's queue.
const POOL_MIN: u32 = 4;
const POOL_MAX: u32 = 32;

#[tokio::main]
async fn main() -> ExitCode {
    logger::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let port = config::port()?;

    // Installed before CPython starts: importing Python's `signal` module (asyncio
    // does) puts a KeyboardInterrupt handler on SIGINT when SIGINT still has its
    // default action, and tokio's handler would chain to it, so Ctrl-C would also
    // raise KeyboardInterrupt inside the engine. Installed handlers also mean that
    // from the moment the port is announced, a signal stops gracefully instead of
    // killing the process.
    let signals = shutdown::Signals::install()?;

    let engine = pime::Engine::builder()
        .import_path(APP_DIR)
        .thread_pool(POOL_MIN, POOL_MAX)
        .command_stats()
        .broker("webapp", "broker")
        .start()
        .await?;

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let address = listener.local_addr()?;
    announce(&format!("listening on http://{address}"))?;

    axum::serve(listener, routes::router())
        .with_graceful_shutdown(signals.first())
        .await?;

    log::info!("all requests answered; stopping the Python engine");
    engine.stop().await?;
    log::info!("stopped");
    Ok(())
}

/// Prints `line` on stdout and flushes at once: stdout is a pipe under a test or a
/// script, and a buffered first line would leave the reader waiting.
fn announce(line: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    log::info!("{line}");
    Ok(())
}
