//! One Python log record on its way into Rust, from either bridge (the main
//! interpreter's PyO3 function, a subinterpreter's C function): a tracing event in the
//! current span with the `tracing` feature, else a `log` record with the target
//! `python::<logger>`.

/// One Python log record, as Rust sees it.
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    /// Python's level number (`DEBUG` 10 ... `CRITICAL` 50).
    pub(crate) level: u32,
    pub(crate) logger: &'a str,
    pub(crate) file: &'a str,
    pub(crate) line: u32,
    pub(crate) message: &'a str,
}

/// Sends `record` on: a tracing event in the current span with the `tracing` feature
/// (a `log` record while no subscriber is installed), a `log` record without it.
/// For the records of subinterpreters, which cannot reach the main interpreter's bridge.
#[cfg_attr(not(Py_3_12), allow(dead_code))]
pub(crate) fn record(record: &Record<'_>) {
    #[cfg(feature = "tracing")]
    return record_event(record);
    #[cfg(not(feature = "tracing"))]
    to_log(record)
}

/// A `log` record with the target `python::<logger>` (dots become `::`).
#[cfg_attr(not(any(Py_3_12, feature = "tracing")), allow(dead_code))]
pub(crate) fn to_log(record: &Record<'_>) {
    let level = match record.level {
        0..=9 => log::Level::Trace,
        10..=19 => log::Level::Debug,
        20..=29 => log::Level::Info,
        30..=39 => log::Level::Warn,
        _ => log::Level::Error,
    };
    let target = format!("python::{}", record.logger.replace('.', "::"));
    let metadata = log::Metadata::builder()
        .level(level)
        .target(&target)
        .build();
    if !log::logger().enabled(&metadata) {
        return;
    }
    log::logger().log(
        &log::Record::builder()
            .metadata(metadata)
            .file(Some(record.file))
            .line(Some(record.line))
            .args(format_args!("{}", record.message))
            .build(),
    );
}

/// A tracing event for `record` in the current span, or a `log` record while no
/// tracing subscriber is installed.
#[cfg(feature = "tracing")]
pub(crate) fn record_event(record: &Record<'_>) {
    use tracing::subscriber::NoSubscriber;
    let subscribed = tracing::dispatcher::get_default(|dispatch| !dispatch.is::<NoSubscriber>());
    if !subscribed {
        return to_log(record);
    }
    let Record {
        level,
        logger,
        file,
        line,
        message,
    } = *record;
    macro_rules! event_at {
        ($level:expr) => {
            tracing::event!(target: "python", $level, logger, file, line, "{message}")
        };
    }
    // Python's levels: DEBUG 10, INFO 20, WARNING 30, ERROR 40, CRITICAL 50.
    match level {
        0..=9 => event_at!(tracing::Level::TRACE),
        10..=19 => event_at!(tracing::Level::DEBUG),
        20..=29 => event_at!(tracing::Level::INFO),
        30..=39 => event_at!(tracing::Level::WARN),
        _ => event_at!(tracing::Level::ERROR),
    }
}
