//! Without the prelude, with the runtime crate under another name, through `crate = ..`.
#![no_implicit_prelude]

extern crate pime as my_pime;
extern crate std;

#[::my_pime::python_module(crate = ::my_pime, client = Client)]
pub trait Prelude {
    /// With std types spelled out.
    async fn hello(
        &self,
        name: &::std::primitive::str,
        limit: ::std::option::Option<::std::primitive::u32>,
    ) -> ::my_pime::Result<::std::vec::Vec<::std::string::String>>;
    #[pime(no_wait, exclusive)]
    async fn fire(&self) -> ::my_pime::Result<()>;
    #[pime(timeout = "2s")]
    async fn slow(&self) -> ::my_pime::Result<::std::primitive::bool>;
}

fn main() {
    ::std::assert_eq!(Client::COMMANDS, ["hello", "fire", "slow"]);
    let _future = Prelude::hello(&Client, "x", ::std::option::Option::None);
}
