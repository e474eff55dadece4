//! The runtime's black-box tests, in one binary: scripts built from
//! `tests/guests/` and `scripts/`, run through the public API. (`flood.rs`
//! is alone in its binary: it measures the process's peak memory.)

mod common;
mod hostile;
mod http_capability;
mod javascript;
mod javascript_http;
mod javascript_sql;
mod scripts;
mod shares;
mod sql_capability;
mod sql_templates;
