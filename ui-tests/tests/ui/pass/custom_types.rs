//! User types that implement Serialize / Deserialize, with lifetimes.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Serialize)]
pub struct Query<'a> {
    pub text: &'a str,
}

#[derive(Deserialize, Debug)]
pub struct Hit {
    pub score: f64,
}

#[pime::python_module]
pub trait Search {
    async fn search<'a>(&self, query: &Query<'a>, tags: &'a [&'a str]) -> pime::Result<Vec<Hit>>;
    async fn stats(&self, names: Cow<'_, str>) -> pime::Result<HashMap<String, (u32, Option<f32>)>>;
    async fn raw(&self, value: pime::Value) -> pime::Result<pime::Value>;
}

fn main() {
    let text = String::from("q");
    let tags = ["a"];
    let query = Query { text: &text };
    let _future = SearchClient.search(&query, &tags);
    assert!(SearchClient::PYTHON_STUB.contains("def raw(value: Any) -> Any:"));
}
