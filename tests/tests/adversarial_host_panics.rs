//! Adversarial: panics in host functions at every point - the first poll, after an
//! await, a plain `fn`, inside the result's `Serialize`, inside an argument's
//! `Deserialize`, in the `Drop` of the value returned, in a task the host spawns and
//! joins - through both the sync and the `aio` form.
//!
//! README: "a panic raises `HostError` and the engine keeps serving"; `HostError` is
//! "an `Exception`".

use std::time::Duration;

use pime::Value;
use pime_tests::host_support::{bounded, call_within, launch_host};
use pime_tests::s;

pub struct PanicSer;
impl serde::Serialize for PanicSer {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("panic inside Serialize")
    }
}

pub struct PanicDe;
impl<'de> serde::Deserialize<'de> for PanicDe {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        panic!("panic inside Deserialize")
    }
}

#[derive(serde::Serialize)]
pub struct PanicDrop(u8);
impl Drop for PanicDrop {
    fn drop(&mut self) {
        panic!("panic inside the result's Drop")
    }
}

#[pime::host_module(module = "panic_app")]
pub trait PanicApp {
    async fn panic_first_poll(&self) -> pime::Result<()>;
    async fn panic_after_await(&self) -> pime::Result<()>;
    fn panic_plain(&self) -> pime::Result<()>;
    async fn panic_in_serialize(&self) -> pime::Result<PanicSer>;
    async fn panic_in_deserialize(&self, arg: PanicDe) -> pime::Result<()>;
    async fn panic_in_result_drop(&self) -> pime::Result<PanicDrop>;
    async fn panic_in_spawned_task(&self) -> pime::Result<()>;
    fn fine(&self) -> pime::Result<String>;
}

struct Impl;

impl PanicApp for Impl {
    async fn panic_first_poll(&self) -> pime::Result<()> {
        panic!("panic on the first poll")
    }
    async fn panic_after_await(&self) -> pime::Result<()> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        panic!("panic after an await")
    }
    fn panic_plain(&self) -> pime::Result<()> {
        panic!("panic in a plain fn")
    }
    async fn panic_in_serialize(&self) -> pime::Result<PanicSer> {
        Ok(PanicSer)
    }
    async fn panic_in_deserialize(&self, _arg: PanicDe) -> pime::Result<()> {
        Ok(())
    }
    async fn panic_in_result_drop(&self) -> pime::Result<PanicDrop> {
        Ok(PanicDrop(1))
    }
    async fn panic_in_spawned_task(&self) -> pime::Result<()> {
        tokio::spawn(async { panic!("panic in a spawned task") })
            .await
            .map_err(|e| pime::Error::new(pime::ErrorKind::ExecError, e.to_string()))
    }
    fn fine(&self) -> pime::Result<String> {
        Ok("fine".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_everywhere() {
    let engine = launch_host(
        "adversarial_host_panics",
        (1, 1),
        3,
        PanicAppHost::new(Impl),
    )
    .await;
    let mut problems = Vec::new();
    for command in ["sync_all", "aio_all"] {
        let outcome = call_within(20, command, &[]).await;
        let table = match outcome {
            Ok(Some(Value::Map(table))) => table,
            other => {
                problems.push(format!("{command}: {other:?}"));
                continue;
            }
        };
        for (name, line) in table {
            let Value::String(line) = line else { panic!() };
            eprintln!("{command} {name:?}: {line}");
            let is_host_error = line.starts_with("HostError (Exception: True)");
            let drop_ok = matches!(&name, Value::String(n) if n == "panic_in_result_drop")
                && line.starts_with("ok: ");
            if !is_host_error && !drop_ok {
                problems.push(format!("{command} {name:?}: {line}"));
            }
        }
        let alive = call_within(10, "alive", &[]).await;
        assert_eq!(alive, Ok(Some(s("fine"))), "after {command}");
    }
    bounded("stop", 20, engine.stop()).await.unwrap();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
