//! Paths of the guest components built for authbox's tests: the fixtures in
//! `tests/guests/` (hostile scripts and the like) and the templates in
//! `scripts/`, compiled to `wasm32-wasip2` by this crate's build script.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

pub mod legacy;
