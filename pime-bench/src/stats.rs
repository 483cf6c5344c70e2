//! Summaries of measured call times.

use std::time::Duration;

/// Mean and percentiles of a set of call times.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub mean: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Summary {
    /// Summarises `times` (which must not be empty).
    pub fn of(mut times: Vec<Duration>) -> Summary {
        assert!(!times.is_empty(), "no call times to summarise");
        times.sort_unstable();
        let total: Duration = times.iter().sum();
        Summary {
            mean: total / times.len() as u32,
            p50: percentile(&times, 0.50),
            p99: percentile(&times, 0.99),
        }
    }
}

/// The nearest-rank percentile of sorted `times`.
fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of a few measurements of the same thing (robust on a shared machine).
pub fn median(mut values: Vec<Duration>) -> Duration {
    assert!(!values.is_empty(), "no measurements");
    values.sort_unstable();
    values[values.len() / 2]
}

/// Microseconds, for the table.
pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Milliseconds, for the table.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Calls per second for `calls` calls in `elapsed`.
pub fn rate(calls: usize, elapsed: Duration) -> f64 {
    calls as f64 / elapsed.as_secs_f64()
}
