//! Tenants and the reads of their connections and script versions: the
//! door the server and the CLI use instead of the store.

use super::{Authbox, FlowError};
use crate::store::{Connection, ScriptVersion, Tenant};

impl Authbox {
    /// Adds a tenant; its name is unique.
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, FlowError> {
        Ok(self.store().create_tenant(name).await?)
    }

    /// The tenant with this id.
    pub async fn tenant(&self, tenant_id: &str) -> Result<Tenant, FlowError> {
        Ok(self.store().tenant(tenant_id).await?)
    }

    /// The tenant called `name`.
    pub async fn tenant_by_name(&self, name: &str) -> Result<Tenant, FlowError> {
        Ok(self.store().tenant_by_name(name).await?)
    }

    /// The tenant's connections, by name.
    pub async fn connections(&self, tenant_id: &str) -> Result<Vec<Connection>, FlowError> {
        Ok(self.store().connections(tenant_id).await?)
    }

    /// A connection of the tenant, by id.
    pub async fn connection(
        &self,
        tenant_id: &str,
        connection_id: &str,
    ) -> Result<Connection, FlowError> {
        Ok(self.store().connection(tenant_id, connection_id).await?)
    }

    /// A connection of the tenant, by name.
    pub async fn connection_by_name(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Connection, FlowError> {
        Ok(self.store().connection_by_name(tenant_id, name).await?)
    }

    /// The script versions of a connection of the tenant, oldest first.
    pub async fn scripts(
        &self,
        tenant_id: &str,
        connection_id: &str,
    ) -> Result<Vec<ScriptVersion>, FlowError> {
        let connection = self.connection(tenant_id, connection_id).await?;
        Ok(self.store().scripts(&connection.id).await?)
    }
}
