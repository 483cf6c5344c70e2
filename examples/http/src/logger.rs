//! Logging: a minimal `log` backend for the server's own lines (one line per record
//! on stderr), and a `tracing` subscriber for the requests' traces: each request is a
//! `request{id=..}` span, and PIME's `pime.call` span and the Python log lines of the
//! plugin appear inside it, printed with their span context, such as
//!
//! ```text
//! INFO request{id=3 path="/hello"}:pime.call{command="/hello"}: python: greeting Rust logger="webapp" file=".../webapp/__init__.py" line=31
//! ```
//!
//! The level comes from `RUST_LOG` (`error`, `warn`, `info`, `debug`, `trace`,
//! `off`; default `info`).

use std::io::Write;

use log::{LevelFilter, Log, Metadata, Record};

struct StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            // One write per record, so lines from different threads do not interleave.
            let line = format!(
                "[{} {}] {}\n",
                record.level(),
                record.target(),
                record.args()
            );
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }

    fn flush(&self) {}
}

/// Installs the logger and the trace subscriber; the level comes from `RUST_LOG`.
pub fn init() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::Info);
    if log::set_logger(&StderrLogger).is_ok() {
        log::set_max_level(level);
    }
    let trace_level = match level {
        LevelFilter::Off => tracing_subscriber::filter::LevelFilter::OFF,
        LevelFilter::Error => tracing_subscriber::filter::LevelFilter::ERROR,
        LevelFilter::Warn => tracing_subscriber::filter::LevelFilter::WARN,
        LevelFilter::Info => tracing_subscriber::filter::LevelFilter::INFO,
        LevelFilter::Debug => tracing_subscriber::filter::LevelFilter::DEBUG,
        LevelFilter::Trace => tracing_subscriber::filter::LevelFilter::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(trace_level)
        .try_init();
}
