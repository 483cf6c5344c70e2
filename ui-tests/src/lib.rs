//! Compile-pass and compile-fail tests of `#[pime::python_module]`, run with trybuild
//! by `tests/ui.rs`. The cases are in `tests/ui/pass` and `tests/ui/fail`; the Python
//! modules that `source = "..."` cases read are in `tests/ui/python`.
