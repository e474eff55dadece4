//! What the store holds, as Rust values.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::runtime::CallLimits;
use crate::runtime::capabilities::password::Algorithm;
use crate::runtime::capabilities::sql::DataSourceSettings;

/// One customer of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Generated id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// The connection `grant_type=password` logs in through, by name
    /// (Auth0's `default_directory`); `None`: the tenant's only one.
    pub default_connection: Option<String>,
    /// The script calls it may have in flight at once, all its connections
    /// together; `None`: the deployment's default.
    pub calls_in_flight: Option<u32>,
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
    /// The origins its scripts may send HTTP requests to (empty: no
    /// network); see [`AllowedHosts`](crate::runtime::capabilities::http::AllowedHosts).
    pub allowed_hosts: Vec<String>,
    /// How import mode hashes the passwords of the users it migrates.
    pub password_hashing: PasswordHashing,
    /// Bounds on the connection's script calls and data sources.
    pub limits: ConnectionLimits,
}

/// The hash import mode stores for a migrated user's password.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

/// A connection's own bounds; each has the default of docs/behaviour.md §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionLimits {
    /// Wall-clock time of one script call, in milliseconds (20,000).
    #[schema(minimum = 100, maximum = 60_000)]
    pub timeout_ms: u64,
    /// Linear memory of one script call, in MiB (64); the runtime's own
    /// cap still applies.
    #[schema(minimum = 1, maximum = 4096)]
    pub memory_mib: u32,
    /// Connections each data source may open (10).
    #[schema(minimum = 1, maximum = 100)]
    pub datasource_connections: u32,
    /// Time one SQL statement may run, in milliseconds (5,000).
    #[schema(minimum = 100, maximum = 60_000)]
    pub statement_timeout_ms: u64,
    /// Script calls the connection may have in flight at once; `None`
    /// (the default): as many as its tenant. At most the deployment's most
    /// (its OpenAPI document says it).
    #[schema(minimum = 1)]
    pub calls_in_flight: Option<u32>,
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
            calls_in_flight: None,
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
            allowed_hosts: Vec::new(),
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
            .field("allowed_hosts", &self.allowed_hosts)
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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
        serde_json::to_value(UserJson::from(self)).unwrap_or(Value::Null)
    }
}

/// A cached user as the Management API answers it (Auth0's shape): the
/// root attributes of docs/behaviour.md §2, then any other attribute the script returned,
/// as it returned it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    /// `<provider>|<returned id>`.
    pub user_id: String,
    /// As the script returned it (not lowercased).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Value>,
    /// Whether the email is verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>)]
    pub email_verified: Option<Value>,
    /// 1 to 128 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Value>,
    /// E.164.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub phone_number: Option<Value>,
    /// Whether the phone number is verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>)]
    pub phone_verified: Option<Value>,
    /// The email (or username) unless the script gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Value>,
    /// 1 to 150 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub given_name: Option<Value>,
    /// 1 to 150 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub family_name: Option<Value>,
    /// The email's local part (or the username) unless the script gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub nickname: Option<Value>,
    /// An absolute http(s) URL; a Gravatar URL unless the script gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub picture: Option<Value>,
    /// `[{"provider", "connection", "user_id", "isSocial": false}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub identities: Option<Value>,
    /// The user's own settings; merged by a PATCH.
    pub user_metadata: Map<String, Value>,
    /// The application's data about the user; merged by a PATCH.
    pub app_metadata: Map<String, Value>,
    /// Whether logins are refused.
    pub blocked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    /// The address of the last login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ip: Option<String>,
    /// Successful logins so far.
    pub logins_count: i64,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_password_reset: Option<String>,
    /// Whether import mode migrated the user (authbox's own).
    pub migrated: bool,
    /// RFC 3339 (authbox's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrated_at: Option<String>,
    /// Any other attribute the script returned.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl From<&CachedUser> for UserJson {
    fn from(user: &CachedUser) -> Self {
        let mut other = user.attributes.clone();
        // What authbox keeps wins over an attribute of the same name.
        for key in [
            "user_id",
            "user_metadata",
            "app_metadata",
            "blocked",
            "created_at",
            "updated_at",
            "last_login",
            "last_ip",
            "logins_count",
            "last_password_reset",
            "migrated",
            "migrated_at",
        ] {
            other.remove(key);
        }
        let mut take = |key: &str| other.remove(key);
        UserJson {
            user_id: user.user_id.clone(),
            email: take("email"),
            email_verified: take("email_verified"),
            username: take("username"),
            phone_number: take("phone_number"),
            phone_verified: take("phone_verified"),
            name: take("name"),
            given_name: take("given_name"),
            family_name: take("family_name"),
            nickname: take("nickname"),
            picture: take("picture"),
            identities: take("identities"),
            user_metadata: user.user_metadata.clone(),
            app_metadata: user.app_metadata.clone(),
            blocked: user.blocked,
            created_at: user.created_at.clone(),
            updated_at: user.updated_at.clone(),
            last_login: user.last_login.clone(),
            last_ip: user.last_ip.clone(),
            logins_count: user.logins_count,
            last_password_reset: user.last_password_reset.clone(),
            migrated: user.migrated,
            migrated_at: user.migrated_at.clone(),
            other,
        }
    }
}
