//! What authbox's tests and benchmarks share: the paths of the guest
//! components (the fixtures in `tests/guests/`, hostile scripts and the
//! like, and the templates in `scripts/`, compiled to `wasm32-wasip2` by
//! this crate's build script), throwaway legacy databases ([`legacy`]), and
//! `authbox serve` as a child process ([`serve_process`]).

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

pub mod legacy;
pub mod serve_process;
