#!/usr/bin/env bash
# Builds and runs a crate outside the workspace the way the README's "Use PIME in your
# crate" section says, with pyenv's 3.12 first on PATH, and checks that the program
# embeds that Python (and not Debian's libpython the loader would find first).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pyenv_root="${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}"
python="$(ls -d "$pyenv_root"/versions/3.12.* | head -1)/bin/python3"
crate="$(mktemp -d)/my-app"
mkdir -p "$crate/src" "$crate/plugins" "$crate/.cargo"

cat > "$crate/Cargo.toml" <<TOML
[package]
name = "my-app"
version = "0.1.0"
edition = "2021"

[dependencies]
pime = { path = "$repo/pime" }
pyo3 = "0.30"
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros", "time"] }

[build-dependencies]
pyo3-build-config = "0.30"
TOML
cat > "$crate/.cargo/config.toml" <<TOML
[env]
PYO3_PYTHON = "$python"
TOML
cat > "$crate/build.rs" <<'RS'
fn main() {
    // The binary loads the libpython it was built against, wherever it runs from.
    pyo3_build_config::add_libpython_rpath_link_args();
}
RS
cat > "$crate/plugins/greeter.py" <<'PY'
import sys

import pime

broker = pime.Broker()


@broker.command
def hello(name):
    return f"Hello, {name}!"


@broker.command
def from_host():
    import app

    return app.greeting(name="host")


@broker.command
def python():
    return {"version": sys.version.split()[0], "prefix": sys.base_prefix}
PY
cat > "$crate/src/main.rs" <<'RS'
#[derive(serde::Deserialize, Debug)]
pub struct Python {
    pub version: String,
    pub prefix: String,
}

/// What the plugin may ask of this program.
#[pime::host_module(module = "app")]
pub trait App {
    fn greeting(&self, name: String) -> pime::Result<String>;
}

struct MyApp;

impl App for MyApp {
    fn greeting(&self, name: String) -> pime::Result<String> {
        Ok(format!("Hello from the {name}!"))
    }
}

#[pime::python_module]
pub trait Greeter {
    async fn hello(&self, name: &str) -> pime::Result<String>;
    async fn python(&self) -> pime::Result<Python>;
    async fn from_host(&self) -> pime::Result<String>;
}

#[tokio::main]
async fn main() -> pime::Result<()> {
    let engine = pime::Engine::builder()
        .import_path(concat!(env!("CARGO_MANIFEST_DIR"), "/plugins"))
        .host(AppHost::new(MyApp))
        .broker("greeter", "broker")
        .start()
        .await?;
    println!("{}", GreeterClient.hello("Rust").await?);
    println!("{}", GreeterClient.from_host().await?);
    let python = GreeterClient.python().await?;
    println!("embedded Python {} from {}", python.version, python.prefix);
    engine.stop().await?;
    Ok(())
}
RS

echo "== a crate outside the workspace ($crate), pyenv 3.12 first on PATH"
output="$(cd "$crate" && env -u PYO3_PYTHON PATH="$(dirname "$python"):$PATH" \
  CARGO_TARGET_DIR="$repo/target/user-crate" cargo run -q)"
echo "$output"
grep -q "^Hello, Rust!$" <<<"$output"
grep -q "^Hello from the host!$" <<<"$output"
expected="$("$python" -c 'import sys; print(sys.version.split()[0], "from", sys.base_prefix)')"
grep -q "^embedded Python $expected$" <<<"$output" || {
  echo "error: expected embedded Python $expected" >&2
  exit 1
}
echo "user crate: ok (embedded Python $expected)"
