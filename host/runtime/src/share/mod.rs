//! Fair shares of what the host has a fixed amount of (call slots, hashing
//! workers): every call is for an [`Owner`], a tenant's connection; a
//! [`FairPool`] hands its permits out in turns across the tenants waiting,
//! never to a tenant or a connection past its cap.
//!
//! The rule for every capability that does host work for a call: the work
//! waits for its permit inside the call's future (so a call that ends,
//! times out or loses its client leaves the queue at once), it is bounded by
//! the call's deadline, and work that cannot be stopped once started (a
//! bcrypt already running) keeps its permit, counted against its tenant,
//! until it is done.

mod fair_pool;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use fair_pool::{FairPermit, FairPool, PoolStats};

/// Whom a call is for: a tenant's connection. Ids, never secrets: they may
/// appear in logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner {
    /// The tenant's id.
    pub tenant: Arc<str>,
    /// The connection's id.
    pub connection: Arc<str>,
}

impl Owner {
    /// `connection` of `tenant`.
    pub fn new(tenant: &str, connection: &str) -> Self {
        Owner {
            tenant: tenant.into(),
            connection: connection.into(),
        }
    }
}

impl Default for Owner {
    /// The one owner of a process that serves one tenant (the CLI, a
    /// service embedding the runtime).
    fn default() -> Self {
        Owner::new("default", "default")
    }
}

/// The most permits of one pool an owner may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareCaps {
    /// For all the tenant's connections together.
    pub tenant: usize,
    /// For the one connection.
    pub connection: usize,
}

impl ShareCaps {
    /// No cap beyond the pool's size.
    pub const UNCAPPED: ShareCaps = ShareCaps {
        tenant: usize::MAX,
        connection: usize::MAX,
    };
}

/// Whom a call is for and how many of the host's call slots its tenant and
/// its connection may hold at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallShare {
    /// The tenant's connection the call is for.
    pub owner: Owner,
    /// Its caps on calls in flight.
    pub calls: ShareCaps,
}

impl Default for CallShare {
    fn default() -> Self {
        CallShare {
            owner: Owner::default(),
            calls: ShareCaps::UNCAPPED,
        }
    }
}

/// Why a permit was not granted in time: the cap that was full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saturated {
    /// The tenant held its cap.
    Tenant,
    /// The connection held its cap.
    Connection,
    /// Every permit of the host was taken.
    Host,
}

impl Saturated {
    /// Its name in logs, metrics and error messages.
    pub fn name(self) -> &'static str {
        match self {
            Saturated::Tenant => "tenant",
            Saturated::Connection => "connection",
            Saturated::Host => "host",
        }
    }
}

/// How long a client refused for a full share is told to wait.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);
