//! What authbox's tests and benchmarks share: the paths of the guest
//! components (the fixtures in `tests/guests/`, hostile scripts and the
//! like, and the templates in `scripts/`, compiled to `wasm32-wasip2` by
//! this crate's build script), throwaway legacy databases ([`legacy`]),
//! `authbox serve` as a child process ([`serve_process`]), the REST users
//! service the `rest-api` template talks to ([`users_service`]), and an SMTP
//! server that keeps what it is sent ([`smtp_server`]).

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

pub mod legacy;
pub mod serve_process;
pub mod smtp_server;
pub mod users_service;
