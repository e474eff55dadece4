//! Each tenant's share of the host: how many script calls it, and each of
//! its connections, may have in flight (docs/behaviour.md §7), and its
//! handle on the hashing workers. The runtime serves the tenants waiting
//! for a slot in turns; these are the caps it holds them to.

use std::time::{Duration, Instant};

use super::{Authbox, FlowError};
use crate::runtime::capabilities::password::PasswordHasher;
use crate::runtime::share::{CallShare, Owner, ShareCaps};
use crate::store::Connection;

/// How many script calls a tenant may have in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantCalls {
    /// Unless its settings say otherwise: 4 per core, at least 8.
    pub default: u32,
    /// The most a tenant's (or a connection's) settings may set.
    pub max: u32,
}

impl Default for TenantCalls {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        let default = (4 * cores).max(8);
        TenantCalls {
            default,
            max: default,
        }
    }
}

impl TenantCalls {
    /// Checks a cap a tenant's or a connection's settings ask for.
    pub(super) fn check(&self, what: &str, calls: Option<u32>) -> Result<(), String> {
        match calls {
            Some(n) if n == 0 || n > self.max => Err(format!(
                "{what} must be from 1 to {} (this deployment's most), not {n}",
                self.max
            )),
            _ => Ok(()),
        }
    }
}

impl Authbox {
    /// Forgets what is known of the tenant's cap (it was just changed).
    pub(super) fn forget_tenant_cap(&self, tenant_id: &str) {
        self.inner.tenant_caps.forget(|id, _| id == tenant_id);
    }

    /// The tenant's cap on calls in flight, as read in the last second; a
    /// cap stored under a higher most than the deployment's now is cut to it.
    async fn tenant_cap(&self, tenant_id: &str) -> Result<u32, FlowError> {
        let default = self.inner.tenant_calls.default;
        let find = async {
            let tenant = self.store().tenant(tenant_id).await?;
            Ok::<_, FlowError>(Some(tenant.calls_in_flight.unwrap_or(default)))
        };
        let cap = self
            .inner
            .tenant_caps
            .get_or_find(tenant_id.to_string(), find)
            .await?;
        Ok(cap.unwrap_or(default).min(self.inner.tenant_calls.max))
    }

    /// Whom a call of `connection` is for, and its caps.
    pub(super) async fn call_share(&self, connection: &Connection) -> Result<CallShare, FlowError> {
        let tenant = self.tenant_cap(&connection.tenant_id).await? as usize;
        let max = self.inner.tenant_calls.max as usize;
        let own = connection
            .settings
            .limits
            .calls_in_flight
            .map(|n| (n as usize).min(max));
        Ok(CallShare {
            owner: owner(connection),
            calls: ShareCaps {
                tenant,
                connection: own.unwrap_or(tenant),
            },
        })
    }

    /// Hashing for `connection`'s tenant, for as long as one of its calls
    /// may take.
    pub(super) fn hasher(&self, connection: &Connection) -> PasswordHasher {
        let timeout = Duration::from_millis(connection.settings.limits.timeout_ms);
        self.inner
            .runtime
            .capabilities()
            .password
            .hasher(&owner(connection), Some(Instant::now() + timeout))
    }
}

/// The owner of `connection`'s calls and host work.
pub(super) fn owner(connection: &Connection) -> Owner {
    Owner::new(&connection.tenant_id, &connection.id)
}
