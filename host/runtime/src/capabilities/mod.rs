//! The host capabilities a script imports, one folder each: its settings,
//! its per-call state, its `Host` implementation of its WIT interface (in
//! `guest-sdk/wit/`) and its tests. A capability knows nothing of the
//! sandbox: it implements [`Capability`], and the sandbox composes every
//! capability in one list (`sandbox/compose.rs`).

pub mod config;
pub mod http;
pub mod log;
pub mod password;
pub mod sql;

use std::fmt;
use std::time::Instant;

use wasmtime::component::{Linker, ResourceTable};

use crate::share::Owner;
use log::CallLog;

/// What every capability of one call shares: whom it is for, when it must
/// end, and where its log goes.
pub struct CallScope<'a> {
    /// The tenant's connection the call is for: host work a capability
    /// queues is counted against it.
    pub owner: &'a Owner,
    /// The call's deadline: host work done for the call stops by then.
    pub deadline: Instant,
    /// The call's capped log.
    pub log: &'a CallLog,
}

/// A host capability: the state one call has of it, made from settings at
/// three levels, and how it joins a linker.
pub trait Capability: Send + Sized + 'static {
    /// The WIT interface it serves, without its version
    /// (`authbox:script/config`): what a script may import for it.
    const INTERFACE: &'static str;
    /// The connection's settings for it, part of every call's context.
    /// They may hold secrets, so they need no `Debug`.
    type Settings: Clone + Default + Send + Sync + 'static;
    /// The process's settings for it, part of the runtime's configuration.
    type Config: Clone + Default + fmt::Debug + Send + Sync + 'static;
    /// What the process holds for it, made once and shared by every call.
    type Shared: Clone + Send + Sync + 'static;

    /// The process-wide state, when the runtime starts.
    fn shared(config: &Self::Config) -> Self::Shared;

    /// The state of one call.
    fn for_call(settings: &Self::Settings, shared: &Self::Shared, scope: &CallScope<'_>) -> Self;

    /// Adds the interface to `linker`, served by the state the store's
    /// data holds of it.
    fn add_to_linker<T: HasCapability<Self>>(linker: &mut Linker<T>) -> wasmtime::Result<()>;
}

/// A store's data that holds the per-call state of capability `C`.
pub trait HasCapability<C>: Send + 'static {
    /// The capability's state, with the call's resource table (where the
    /// streams and pollables WASI and `wasi:http` share live).
    fn capability(&mut self) -> CapabilityView<'_, C>;
}

/// What a capability serves a call from: its own state and the call's
/// resource table.
pub struct CapabilityView<'a, C> {
    /// The capability's state in this call.
    pub state: &'a mut C,
    /// The call's resource table.
    pub table: &'a mut ResourceTable,
}
