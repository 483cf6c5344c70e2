//! The floor: the broker called in a loop on one thread that holds the GIL the whole
//! time, converting params and results with the bench's plain converter. No contender
//! can beat it; it shows what dispatch costs.

use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::broker::Request;
use crate::convert;
use crate::drive::BenchResult;

/// Attaches once, then makes `calls` calls and returns the time of each.
pub fn sequential(
    broker: &Py<PyAny>,
    request: &Request,
    calls: usize,
) -> BenchResult<Vec<Duration>> {
    Python::attach(|py| {
        let broker = broker.bind(py);
        let mut times = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            convert::call_broker(py, broker, request.command, &request.params)?;
            times.push(started.elapsed());
        }
        Ok(times)
    })
}

/// Attaches once, then makes `calls` calls and returns the total time.
pub fn total(broker: &Py<PyAny>, request: &Request, calls: usize) -> BenchResult<Duration> {
    Python::attach(|py| {
        let broker = broker.bind(py);
        let started = Instant::now();
        for _ in 0..calls {
            convert::call_broker(py, broker, request.command, &request.params)?;
        }
        Ok(started.elapsed())
    })
}
