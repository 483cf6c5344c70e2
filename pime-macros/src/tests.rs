//! Unit tests of the macro on `proc_macro2` tokens, by stage: reading, checks,
//! source-file checks, generated code, Python stub.

mod checks;
mod expansion;
mod parsing;
mod python_stub;
mod source_checks;
mod support;
