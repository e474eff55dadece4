//! What the store holds, as Rust values.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::capabilities::password::Algorithm;
use crate::capabilities::sql::DataSourceSettings;
use crate::runtime::CallLimits;

/// One customer of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Generated id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
}

/// A connection's options. Configuration values and data-source URLs are
/// secrets: written, never shown (`Debug` hides them).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSettings {
    /// Import mode (automatic migration); off by default.
    pub import_mode: bool,
    /// Overwrite name, nickname, given/family name and picture at each login.
    pub sync_root_attributes: bool,
    /// The script's configuration.
    pub config: BTreeMap<String, String>,
    /// The script's data sources: name to URL.
    pub datasources: BTreeMap<String, String>,
    /// How import mode hashes the passwords of the users it migrates.
    pub password_hashing: PasswordHashing,
    /// Bounds on the connection's script calls and data sources.
    pub limits: ConnectionLimits,
}

/// The hash import mode stores for a migrated user's password.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordHashing {
    /// bcrypt, cost 10 (Auth0's choice; the default).
    #[default]
    Bcrypt,
    /// argon2id with OWASP's parameters (19 MiB, 2 iterations).
    Argon2id,
}

impl PasswordHashing {
    /// The hasher's algorithm.
    pub fn algorithm(self) -> Algorithm {
        match self {
            PasswordHashing::Bcrypt => Algorithm::Bcrypt(10),
            PasswordHashing::Argon2id => Algorithm::Argon2id,
        }
    }
}

/// A connection's own bounds; each has the spec's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionLimits {
    /// Wall-clock time of one script call, in milliseconds (20,000).
    pub timeout_ms: u64,
    /// Linear memory of one script call, in MiB (64); the runtime's own
    /// cap still applies.
    pub memory_mib: u32,
    /// Connections each data source may open (10).
    pub datasource_connections: u32,
    /// Time one SQL statement may run, in milliseconds (5,000).
    pub statement_timeout_ms: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        let call = CallLimits::default();
        let sql = DataSourceSettings::default();
        ConnectionLimits {
            timeout_ms: call.timeout.as_millis() as u64,
            memory_mib: (call.memory_bytes >> 20) as u32,
            datasource_connections: sql.max_connections,
            statement_timeout_ms: sql.statement_timeout.as_millis() as u64,
        }
    }
}

impl ConnectionLimits {
    /// The ranges each limit must be in.
    const RANGES: [(&'static str, u64, u64); 4] = [
        ("timeout_ms", 100, 60_000),
        ("memory_mib", 1, 4096),
        ("datasource_connections", 1, 100),
        ("statement_timeout_ms", 100, 60_000),
    ];

    /// Checks every limit is within its range, naming the first that is not.
    pub fn check(&self) -> Result<(), String> {
        let values = [
            self.timeout_ms,
            u64::from(self.memory_mib),
            u64::from(self.datasource_connections),
            self.statement_timeout_ms,
        ];
        for ((name, low, high), value) in Self::RANGES.iter().zip(values) {
            if !(*low..=*high).contains(&value) {
                return Err(format!(
                    "limits.{name} must be from {low} to {high}, not {value}"
                ));
            }
        }
        Ok(())
    }

    /// The limits of one call.
    pub fn call_limits(&self) -> CallLimits {
        CallLimits {
            timeout: Duration::from_millis(self.timeout_ms),
            memory_bytes: (self.memory_mib as usize) << 20,
            ..CallLimits::default()
        }
    }

    /// The settings of each data source.
    pub fn datasource_settings(&self) -> DataSourceSettings {
        DataSourceSettings {
            max_connections: self.datasource_connections,
            statement_timeout: Duration::from_millis(self.statement_timeout_ms),
            ..DataSourceSettings::default()
        }
    }
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            import_mode: false,
            sync_root_attributes: true,
            config: BTreeMap::new(),
            datasources: BTreeMap::new(),
            password_hashing: PasswordHashing::default(),
            limits: ConnectionLimits::default(),
        }
    }
}

impl std::fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("import_mode", &self.import_mode)
            .field("sync_root_attributes", &self.sync_root_attributes)
            .field("config", &self.config.keys().collect::<Vec<_>>())
            .field("datasources", &self.datasources.keys().collect::<Vec<_>>())
            .field("password_hashing", &self.password_hashing)
            .field("limits", &self.limits)
            .finish()
    }
}

/// A tenant's named user source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Generated id.
    pub id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Unique within the tenant.
    pub name: String,
    /// Its options.
    pub settings: ConnectionSettings,
    /// The active script version, if one is.
    pub active_version: Option<i64>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// One stored script of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptVersion {
    /// 1, 2, 3... per connection.
    pub version: i64,
    /// Of the component's bytes.
    pub sha256: String,
    /// The component's size.
    pub size_bytes: i64,
    /// The actions it implements.
    pub actions: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// Whether it is the connection's active script.
    pub active: bool,
}

/// A cached user: what the script last returned plus what authbox keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedUser {
    /// `<provider>|<returned id>`.
    pub user_id: String,
    /// The connection the user belongs to.
    pub connection_id: String,
    /// The script-sourced root attributes (email, name, identities...).
    pub attributes: Map<String, Value>,
    /// Owned by the Management API after the first login.
    pub user_metadata: Map<String, Value>,
    /// Owned by the Management API after the first login.
    pub app_metadata: Map<String, Value>,
    /// Whether logins are refused.
    pub blocked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339.
    pub last_login: Option<String>,
    /// The address of the last login.
    pub last_ip: Option<String>,
    /// Successful logins so far.
    pub logins_count: i64,
    /// RFC 3339.
    pub last_password_reset: Option<String>,
    /// Whether import mode migrated the user.
    pub migrated: bool,
    /// RFC 3339.
    pub migrated_at: Option<String>,
    /// Bumped by every write; concurrent updates retry on a mismatch.
    pub revision: i64,
}

impl CachedUser {
    /// The profile as the Management API shows it (Auth0's shape).
    pub fn to_json(&self) -> Value {
        let mut profile = self.attributes.clone();
        let mut put = |key: &str, value: Value| {
            profile.insert(key.to_string(), value);
        };
        put("user_id", Value::String(self.user_id.clone()));
        put("user_metadata", Value::Object(self.user_metadata.clone()));
        put("app_metadata", Value::Object(self.app_metadata.clone()));
        put("blocked", Value::Bool(self.blocked));
        put("created_at", Value::String(self.created_at.clone()));
        put("updated_at", Value::String(self.updated_at.clone()));
        put("logins_count", Value::from(self.logins_count));
        put("migrated", Value::Bool(self.migrated));
        for (key, value) in [
            ("last_login", &self.last_login),
            ("last_ip", &self.last_ip),
            ("last_password_reset", &self.last_password_reset),
            ("migrated_at", &self.migrated_at),
        ] {
            if let Some(value) = value {
                put(key, Value::String(value.clone()));
            }
        }
        Value::Object(profile)
    }
}
