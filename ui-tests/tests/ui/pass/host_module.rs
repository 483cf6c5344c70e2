// A host module with every kind of method and option, registered with the builder.

use std::collections::BTreeMap;

use pime::HostModule;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct User {
    name: String,
}

/// The host's services.
#[pime::host_module(module = "services", host = Services)]
pub trait App {
    /// Async.
    async fn get_user(&self, id: u64) -> pime::Result<User>;
    /// Plain.
    fn version(&self) -> pime::Result<String>;
    #[pime(name = "put")]
    async fn store(
        &self,
        #[pime(rename = "type")] kind: String,
        values: BTreeMap<String, f64>,
        note: Option<String>,
    ) -> pime::Result<()>;
    #[cfg(any())]
    fn compiled_out(&self) -> pime::Result<()>;
}

struct Impl;

impl App for Impl {
    async fn get_user(&self, id: u64) -> pime::Result<User> {
        Ok(User { name: id.to_string() })
    }
    fn version(&self) -> pime::Result<String> {
        Ok("1".into())
    }
    async fn store(&self, _: String, _: BTreeMap<String, f64>, _: Option<String>) -> pime::Result<()> {
        Ok(())
    }
}

fn main() {
    assert_eq!(Services::<Impl>::MODULE, "services");
    assert!(Services::<Impl>::PYTHON_STUB.contains("def put(type: str, values: dict[str, float], note: str | None = None) -> None:"));
    assert!(!Services::<Impl>::PYTHON_STUB.contains("compiled_out"));
    let host = Services::new(Impl);
    assert_eq!(host.module_name(), "services");
    let _builder = pime::Engine::builder().host(host);
}
