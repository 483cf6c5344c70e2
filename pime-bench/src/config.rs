//! How big each scenario is: the full run, or the `--quick` smoke run for CI.

/// Call counts and sizes of every scenario.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// Sequential no-op latency: calls before measuring, and measured calls.
    pub latency_warmup: usize,
    pub latency_calls: usize,
    /// Throughput: total calls, and how many are in flight at once.
    pub throughput_calls: usize,
    pub in_flight: usize,
    /// Parallel sleeps: calls (all in flight at once), pool size, seconds per call, rounds.
    pub sleep_calls: usize,
    pub sleep_pool: u32,
    pub sleep_seconds: f64,
    pub sleep_rounds: usize,
    /// Payload round trip: rows in the list, calls before measuring, measured calls.
    pub payload_rows: usize,
    pub payload_warmup: usize,
    pub payload_calls: usize,
    /// Latency under CPU load: busy pool threads to try, and measured calls for each.
    pub busy_threads: Vec<usize>,
    pub busy_warmup: usize,
    pub busy_calls: usize,
    /// CPU-bound broker: loop steps per call (7-9 ms of pure Python on the 2-core
    /// VM), measured calls per contender, and calls in flight.
    pub cpu_steps: i64,
    pub cpu_calls: usize,
    pub cpu_in_flight: usize,
    /// Async command: calls (all in flight at once), pool size, seconds each call
    /// awaits `asyncio.sleep`, and measured rounds.
    pub async_calls: usize,
    pub async_pool: u32,
    pub async_seconds: f64,
    pub async_rounds: usize,
    /// Pool sizes: the sizes to measure, calls for throughput (in flight: `in_flight`)
    /// and for sequential latency at each.
    pub pool_sizes: Vec<u32>,
    pub pool_calls: usize,
    pub pool_latency_calls: usize,
    /// Mixed load: sequential no-op calls timed beside the sleeping callers.
    pub mixed_calls: usize,
    /// Subinterpreters: measured calls of the ~1 ms and the ~50 µs CPU-bound broker
    /// (16 in flight), and sequential no-op calls.
    pub interpreter_calls_1ms: usize,
    pub interpreter_calls_50us: usize,
    pub interpreter_latency_calls: usize,
}

impl Sizes {
    /// The figures the README reports.
    pub fn full() -> Sizes {
        Sizes {
            latency_warmup: 2_000,
            latency_calls: 20_000,
            throughput_calls: 100_000,
            in_flight: 1_000,
            sleep_calls: 400,
            sleep_pool: 100,
            sleep_seconds: 0.05,
            sleep_rounds: 3,
            payload_rows: 10_000,
            payload_warmup: 10,
            payload_calls: 200,
            busy_threads: vec![1, 2, 4],
            busy_warmup: 20,
            busy_calls: 300,
            cpu_steps: 150_000,
            cpu_calls: 200,
            cpu_in_flight: 16,
            async_calls: 1_000,
            async_pool: 4,
            async_seconds: 0.05,
            async_rounds: 3,
            pool_sizes: vec![4, 16, 100],
            pool_calls: 100_000,
            pool_latency_calls: 10_000,
            mixed_calls: 5_000,
            interpreter_calls_1ms: 1_000,
            interpreter_calls_50us: 10_000,
            interpreter_latency_calls: 10_000,
        }
    }

    /// A smoke run that finishes well inside a minute: same shapes, fewer calls.
    pub fn quick() -> Sizes {
        Sizes {
            latency_warmup: 500,
            latency_calls: 3_000,
            throughput_calls: 20_000,
            sleep_rounds: 1,
            payload_warmup: 3,
            payload_calls: 30,
            busy_warmup: 5,
            busy_calls: 50,
            cpu_calls: 60,
            async_calls: 200,
            async_rounds: 1,
            pool_calls: 10_000,
            pool_latency_calls: 2_000,
            mixed_calls: 500,
            interpreter_calls_1ms: 100,
            interpreter_calls_50us: 1_000,
            interpreter_latency_calls: 2_000,
            ..Sizes::full()
        }
    }
}
