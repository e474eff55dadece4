//! The host capabilities a script imports. Each is self-contained: its WIT
//! interface (in `guest-sdk/wit/`), its host implementation, its settings and
//! its tests live in one module here.

pub mod config;
pub mod log;
pub mod password;
pub mod sql;

use wasmtime::component::Linker;

use crate::runtime::CallState;

/// Adds every authbox capability to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    config::add_to_linker(linker)?;
    log::add_to_linker(linker)?;
    password::add_to_linker(linker)?;
    sql::add_to_linker(linker)?;
    crate::runtime::bindings::authbox::script::types::add_to_linker::<
        _,
        wasmtime::component::HasSelf<_>,
    >(linker, |state: &mut CallState| state)
}

/// The WIT interfaces the capabilities implement, as scripts import them.
pub const INTERFACES: &[&str] = &[
    "authbox:script/config",
    "authbox:script/log",
    "authbox:script/password",
    "authbox:script/sql",
    "authbox:script/types",
];
