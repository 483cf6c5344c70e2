//! numpy from a virtual environment: the broker returns numpy scalars and arrays as
//! numpy makes them, and they decode into a typed Rust struct.
//!
//! ```sh
//! python3 -m venv target/numpy-venv && target/numpy-venv/bin/pip install numpy
//! cargo run -p numpy-example -- target/numpy-venv
//! ```
//!
//! The venv must be made by the Python the binary embeds (`PYO3_PYTHON`, Debian's
//! `/usr/bin/python3` in this workspace).

/// What `analysis.describe` returns, decoded with serde.
#[derive(Debug, serde::Deserialize, PartialEq)]
pub struct Description {
    pub count: u64,
    pub sum: i64,
    pub mean: f64,
    pub all_positive: bool,
    pub sorted: Vec<i64>,
    pub histogram: Vec<u64>,
}

#[pime::python_module]
pub trait Analysis {
    /// Count, sum, mean, sign, sorted values and a 3-bin histogram, computed by numpy.
    async fn describe(&self, values: Vec<i64>) -> pime::Result<Description>;
    async fn numpy_version(&self) -> pime::Result<String>;
}

#[tokio::main]
async fn main() -> pime::Result<()> {
    let venv = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/numpy-venv".to_string());
    let engine = pime::Engine::builder()
        .venv(&venv)
        .import_path(env!("CARGO_MANIFEST_DIR"))
        .broker("analysis", "broker")
        .start()
        .await?;
    println!("numpy {}", AnalysisClient.numpy_version().await?);
    let description = AnalysisClient.describe(vec![5, 3, 9, 1, 7]).await?;
    println!("{description:?}");
    engine.stop().await
}
