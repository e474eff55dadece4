//! The authbox runtime: the sandbox that runs custom-database scripts, the
//! host capabilities they import, the normalization of what they return,
//! and the report of a call. It has no store, no HTTP and no CLI: a service
//! embeds it to run scripts of its own.
//!
//! - [`sandbox`]: one [`Runtime`] per process (a wasmtime `Engine` with the
//!   pooling allocator), one [`Script`] per loaded component or set of
//!   Auth0-style JavaScript sources ([`JsSources`], run by the embedded
//!   engine from `js-engine/`), a fresh instance for every call under
//!   [`CallLimits`].
//! - [`capabilities`]: `config`, `http`, `log`, `password`, `sql`, one folder each.
//! - [`share`]: fair shares of the host's call slots and hashing workers
//!   across tenants.
//! - [`profile`]: what `login` and `get-user` return, normalized and checked.
//! - [`report`]: how a call ended, by name, with its logs and what it used.

#![warn(missing_docs)]

mod bindings;
pub mod capabilities;
pub mod profile;
pub mod report;
pub mod sandbox;
pub mod share;

pub use sandbox::*;
