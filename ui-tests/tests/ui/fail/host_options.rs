// The attribute's options on a host module.

#[pime::host_module]
pub trait NoModule {
    fn version(&self) -> pime::Result<String>;
}

#[pime::host_module(module = "my-app")]
pub trait BadModuleName {
    fn version(&self) -> pime::Result<String>;
}

#[pime::host_module(module = "app", client = AppClient)]
pub trait ClientOption {
    fn version(&self) -> pime::Result<String>;
}

#[pime::host_module(module = "app", host = App)]
pub trait App {
    fn version(&self) -> pime::Result<String>;
}

#[pime::host_module(module = "app")]
pub struct NotATrait;

fn main() {}
