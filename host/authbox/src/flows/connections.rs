//! Each connection's loaded state, kept between calls: its active script
//! (compiled once, through the runtime's artifact cache) and its data
//! sources (pools shared by the connection's calls). Reloaded when the
//! connection's settings or active script change. Connections are looked up
//! by name at most once a second (see [`Recent`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::Mutex;

use super::FlowError;
use super::recent::Recent;
use crate::runtime::capabilities::http::{AllowedHosts, HttpSettings};
use crate::runtime::capabilities::sql::{DataSource, DataSources};
use crate::runtime::share::CallShare;
use crate::runtime::{CallContext, CapabilitySettings, Runtime, Script};
use crate::store::{Connection, ConnectionSettings, Store, StoreError};

/// A connection ready to run calls.
pub(super) struct Loaded {
    /// The active script version it was loaded from.
    version: i64,
    /// The connection's `updated_at` when it was loaded.
    updated_at: String,
    pub(super) script: Script,
    pub(super) context: CallContext,
}

/// Loaded connections by id, and recent lookups by (tenant, name).
#[derive(Default)]
pub(super) struct LoadedConnections {
    by_id: Mutex<HashMap<String, Arc<Loaded>>>,
    by_name: Recent<(String, String), Arc<Connection>>,
}

impl LoadedConnections {
    /// The tenant's connection called `name`, from a lookup of the last
    /// second or from the store.
    pub(super) async fn by_name(
        &self,
        store: &dyn Store,
        tenant_id: &str,
        name: &str,
    ) -> Result<Arc<Connection>, FlowError> {
        let key = (tenant_id.to_string(), name.to_string());
        if let Some(connection) = self.by_name.get(&key) {
            return Ok(connection);
        }
        let connection = Arc::new(store.connection_by_name(tenant_id, name).await?);
        self.by_name.put(key, connection.clone());
        Ok(connection)
    }

    /// Forgets what is known of a connection (it was just changed).
    pub(super) fn forget(&self, connection_id: &str) {
        self.by_name
            .forget(|_, connection| connection.id == connection_id);
    }

    /// `connection` loaded, from memory when it has not changed since.
    pub(super) async fn get(
        &self,
        runtime: &Runtime,
        store: &dyn Store,
        connection: &Connection,
    ) -> Result<Arc<Loaded>, FlowError> {
        let mut by_id = self.by_id.lock().await;
        if let Some(loaded) = by_id.get(&connection.id)
            && Some(loaded.version) == connection.active_version
            && loaded.updated_at == connection.updated_at
        {
            return Ok(loaded.clone());
        }
        let (version, wasm) = match store.active_script(&connection.id).await {
            Ok(found) => found,
            Err(StoreError::NotFound(_)) => {
                return Err(FlowError::NoScript(connection.name.clone()));
            }
            Err(e) => return Err(e.into()),
        };
        let script = runtime
            .load(&wasm)
            .await
            .map_err(|e| FlowError::BadScript {
                connection: connection.name.clone(),
                reason: e.to_string(),
            })?;
        let context = CallContext {
            capabilities: CapabilitySettings {
                config: Arc::new(connection.settings.config.clone()),
                sql: datasources(&connection.name, &connection.settings)?,
                http: HttpSettings::new(allowed_hosts(&connection.name, &connection.settings)?),
                ..CapabilitySettings::default()
            },
            limits: connection.settings.limits.call_limits(),
            // Set for each call (the tenant's cap may change meanwhile).
            share: CallShare::default(),
        };
        let loaded = Arc::new(Loaded {
            version: version.version,
            updated_at: connection.updated_at.clone(),
            script,
            context,
        });
        if let Some(replaced) = by_id.insert(connection.id.clone(), loaded.clone()) {
            // Its pools close once its running calls let go of them.
            let old = replaced.context.capabilities.sql.clone();
            tokio::spawn(async move { old.close().await });
        }
        Ok(loaded)
    }
}

/// The origins a connection's scripts may reach.
pub(super) fn allowed_hosts(
    connection: &str,
    settings: &ConnectionSettings,
) -> Result<AllowedHosts, FlowError> {
    AllowedHosts::parse(&settings.allowed_hosts).map_err(|e| FlowError::InvalidSettings {
        connection: connection.to_string(),
        reason: e.to_string(),
    })
}

/// A connection's data sources, each checked by its driver (not opened).
pub(super) fn datasources(
    connection: &str,
    settings: &ConnectionSettings,
) -> Result<DataSources, FlowError> {
    let bad = |reason: String| FlowError::InvalidSettings {
        connection: connection.to_string(),
        reason,
    };
    let pool_settings = settings.limits.datasource_settings();
    let sources: BTreeMap<_, _> = settings.datasources.iter().collect();
    let parsed = sources
        .into_iter()
        .map(|(name, url)| {
            let url = url
                .parse()
                .map_err(|e| bad(format!("data source `{name}`: {e}")))?;
            DataSource::new(name, url, pool_settings).map_err(|e| bad(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    DataSources::new(parsed).map_err(|e| bad(e.to_string()))
}
