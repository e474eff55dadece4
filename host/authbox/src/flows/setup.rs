//! Setting a tenant's connections up: their settings checked before they
//! are stored, their scripts validated before they are stored and
//! activated, the tenant's default connection. Every change is seen by this
//! process's next call at once.

use super::connections::{allowed_hosts, datasources};
use super::{Authbox, FlowError, TenantCalls};
use crate::runtime::{Action, JsSources, LoadError, Script};
use crate::store::{Connection, ConnectionSettings, ScriptVersion, StoreError, Tenant};

/// A change of a tenant's settings: what is `Some` replaces what was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantChange {
    /// The connection `grant_type=password` logs in through, by name (it
    /// must exist); `Some(None)`: the tenant's only connection.
    pub default_connection: Option<Option<String>>,
    /// The cap on script calls in flight, from 1 to the deployment's most;
    /// `Some(None)`: the deployment's default.
    pub calls_in_flight: Option<Option<u32>>,
}

impl Authbox {
    /// Changes the tenant's settings: all of the change is checked before
    /// any of it is written.
    pub async fn update_tenant(
        &self,
        tenant_id: &str,
        change: TenantChange,
    ) -> Result<Tenant, FlowError> {
        if let Some(Some(name)) = &change.default_connection {
            self.store().connection_by_name(tenant_id, name).await?;
        }
        if let Some(calls) = change.calls_in_flight {
            self.inner
                .tenant_calls
                .check("limits.calls_in_flight", calls)
                .map_err(FlowError::InvalidTenantSettings)?;
        }
        let mut tenant = self.store().tenant(tenant_id).await?;
        if let Some(name) = &change.default_connection {
            tenant = self
                .store()
                .set_default_connection(tenant_id, name.as_deref())
                .await?;
            self.forget_default_connection(tenant_id);
        }
        if let Some(calls) = change.calls_in_flight {
            tenant = self.store().set_tenant_calls(tenant_id, calls).await?;
            self.forget_tenant_cap(tenant_id);
        }
        Ok(tenant)
    }

    /// The connection `grant_type=password` logs in through: the tenant's
    /// default, else its only connection (as found in the last second, or
    /// in the store).
    pub async fn default_connection(&self, tenant_id: &str) -> Result<String, FlowError> {
        let recent = &self.inner.default_connections;
        if let Some(name) = recent.get(&tenant_id.to_string()) {
            return Ok(name);
        }
        let name = match self.store().tenant(tenant_id).await?.default_connection {
            Some(name) => name,
            None => match self.store().connections(tenant_id).await?.as_slice() {
                [only] => only.name.clone(),
                _ => return Err(FlowError::NoDefaultConnection),
            },
        };
        recent.put(tenant_id.to_string(), name.clone());
        Ok(name)
    }

    /// The tenant's connections or default changed.
    fn forget_default_connection(&self, tenant_id: &str) {
        self.inner
            .default_connections
            .forget(|tenant, _| tenant == tenant_id);
    }

    /// Adds a connection to a tenant, its settings checked first.
    pub async fn create_connection(
        &self,
        tenant_id: &str,
        name: &str,
        settings: &ConnectionSettings,
    ) -> Result<Connection, FlowError> {
        check(name, settings, &self.inner.tenant_calls)?;
        let connection = self
            .store()
            .create_connection(tenant_id, name, settings)
            .await?;
        self.forget_default_connection(tenant_id);
        Ok(connection)
    }

    /// Replaces a connection's settings, checked first.
    pub async fn update_connection(
        &self,
        tenant_id: &str,
        connection_id: &str,
        settings: &ConnectionSettings,
    ) -> Result<Connection, FlowError> {
        let connection = self.store().connection(tenant_id, connection_id).await?;
        check(&connection.name, settings, &self.inner.tenant_calls)?;
        let updated = self
            .store()
            .update_connection(tenant_id, connection_id, settings)
            .await?;
        self.inner.loaded.forget(connection_id);
        Ok(updated)
    }

    /// Deletes a connection with its scripts and cached users.
    pub async fn delete_connection(
        &self,
        tenant_id: &str,
        connection_id: &str,
    ) -> Result<(), FlowError> {
        let name = self
            .store()
            .connection(tenant_id, connection_id)
            .await?
            .name;
        self.store()
            .delete_connection(tenant_id, connection_id)
            .await?;
        self.inner.loaded.forget(connection_id);
        // A default that no longer exists would fail every password grant.
        if self.store().tenant(tenant_id).await?.default_connection == Some(name) {
            self.store().set_default_connection(tenant_id, None).await?;
        }
        self.forget_default_connection(tenant_id);
        Ok(())
    }

    /// Validates and stores a new script version of a connection, and makes
    /// it the active one.
    pub async fn upload_script(
        &self,
        tenant_id: &str,
        connection_id: &str,
        wasm: &[u8],
    ) -> Result<ScriptVersion, FlowError> {
        let connection = self.store().connection(tenant_id, connection_id).await?;
        let script = self.load_for(&connection.name, wasm).await?;
        let info = script.info();
        let actions: Vec<String> = info.actions.iter().map(|a| a.name().to_string()).collect();
        let version = self
            .store()
            .add_script(&connection.id, wasm, &info.sha256, &actions)
            .await?;
        self.store()
            .activate_script(&connection.id, version.version)
            .await?;
        self.inner.loaded.forget(&connection.id);
        Ok(ScriptVersion {
            active: true,
            ..version
        })
    }

    /// Whether `bytes` would load as a connection's script, without
    /// storing anything (the check before a connection is created with it).
    pub async fn check_script(&self, connection: &str, bytes: &[u8]) -> Result<(), FlowError> {
        self.load_for(connection, bytes).await.map(drop)
    }

    /// `bytes` loaded as a script of the connection called `connection`:
    /// with `login` and `get-user` (a component cannot load without them;
    /// JavaScript can, to run one file).
    async fn load_for(&self, connection: &str, bytes: &[u8]) -> Result<Script, FlowError> {
        let bad = |reason: String| FlowError::InvalidScript {
            connection: connection.to_string(),
            reason,
        };
        let script = self
            .inner
            .runtime
            .load(bytes)
            .await
            .map_err(|e| bad(e.to_string()))?;
        let missing: Vec<String> = [Action::Login, Action::GetUser]
            .into_iter()
            .filter(|a| !script.implements(*a))
            .map(JsSources::file_name)
            .collect();
        if !missing.is_empty() {
            return Err(bad(LoadError::MissingJavascript(missing).to_string()));
        }
        Ok(script)
    }

    /// The JavaScript of the connection's active script version; `None`
    /// when it has no script or its script is a component.
    pub async fn active_javascript(
        &self,
        tenant_id: &str,
        connection_id: &str,
    ) -> Result<Option<JsSources>, FlowError> {
        let connection = self.store().connection(tenant_id, connection_id).await?;
        match self.store().active_script(&connection.id).await {
            Ok((_, bytes)) => Ok(JsSources::from_bytes(&bytes).and_then(Result::ok)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes an older (or newer) stored version the connection's active
    /// script: a rollback.
    pub async fn activate_script(
        &self,
        tenant_id: &str,
        connection_id: &str,
        version: i64,
    ) -> Result<(), FlowError> {
        let connection = self.store().connection(tenant_id, connection_id).await?;
        self.store()
            .activate_script(&connection.id, version)
            .await?;
        self.inner.loaded.forget(&connection.id);
        Ok(())
    }
}

/// Checks a connection's limits, allowed hosts and data sources (parsed by
/// their driver, not connected to).
fn check(
    name: &str,
    settings: &ConnectionSettings,
    tenant_calls: &TenantCalls,
) -> Result<(), FlowError> {
    let limits = &settings.limits;
    limits
        .check()
        .and_then(|()| tenant_calls.check("limits.calls_in_flight", limits.calls_in_flight))
        .map_err(|reason| FlowError::InvalidSettings {
            connection: name.to_string(),
            reason,
        })?;
    allowed_hosts(name, settings)?;
    datasources(name, settings).map(drop)
}
