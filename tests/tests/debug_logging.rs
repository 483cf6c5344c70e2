//! `enable_debug`: every task is logged through Rust's `log`, and Python `logging`
//! records from brokers reach `log` too.

use std::sync::Mutex;

use pime_tests::{s, start_with, task};

/// Collects every record as `(target, message)`.
struct Collector(Mutex<Vec<(String, String)>>);

impl log::Log for Collector {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0
            .lock()
            .unwrap()
            .push((record.target().to_string(), record.args().to_string()));
    }
    fn flush(&self) {}
}

static COLLECTOR: Collector = Collector(Mutex::new(Vec::new()));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_tasks_and_python_records() {
    log::set_logger(&COLLECTOR).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    let engine = start_with("testmod", |builder| builder.debug()).await;

    pime::call(task("echo", &[("value", s("x"))]))
        .await
        .unwrap();
    let _ = pime::call(task(
        "raise",
        &[("kind", s("ValueError")), ("message", s("boom"))],
    ))
    .await;
    pime::call(task(
        "log",
        &[
            ("logger", s("plugins.billing")),
            ("message", s("from python")),
        ],
    ))
    .await
    .unwrap();
    engine.stop().await.unwrap();

    let records = COLLECTOR.0.lock().unwrap().clone();
    let has = |target: &str, needle: &str| {
        records
            .iter()
            .any(|(t, m)| t == target && m.contains(needle))
    };
    assert!(has("pime", "task echo ok in"), "{records:#?}");
    assert!(has("pime", "task raise failed in"), "{records:#?}");
    assert!(has("pime", "ValueError: boom"), "{records:#?}");
    assert!(
        has("python::plugins::billing", "from python"),
        "{records:#?}"
    );
}
