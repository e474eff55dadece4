//! authbox: a sandboxed WebAssembly runtime for custom-database connections.
//!
//! Tenants' action scripts (`login`, `get-user`, `create`, ...) are
//! WebAssembly components built with the `authbox-guest` SDK; authbox runs
//! each call in a fresh, limited instance ([`runtime`]), maps what `login` and
//! `get-user` return to a normalized profile ([`profile`]), and reports the
//! outcome, logs and resource use ([`report`]).

#![warn(missing_docs)]

pub mod capabilities;
pub mod flows;
pub mod management;
pub mod metrics;
pub mod profile;
pub mod report;
pub mod runtime;
pub mod server;
pub mod store;
