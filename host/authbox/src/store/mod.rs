//! authbox's own state: tenants, connections, script versions and the
//! profile cache. Its records are public; its writes are not (they skip the
//! field policy and the per-user turns that [`Authbox`](crate::Authbox)
//! keeps). One `Store` trait; `SqlStore` implements it on SQLite
//! (the embedded default: a file, WAL) and on PostgreSQL (shared by several
//! authbox processes). Its schema migrations are embedded and applied when a
//! store opens.

mod access;
mod protection;
mod records;
mod sql;
#[cfg(test)]
mod tests;

pub(crate) use access::{AccessStore, secret_hash};
pub use access::{ApiKey, Client, SigningKey};
pub use protection::LoginFailures;
pub(crate) use protection::ProtectionStore;
pub use records::{
    CachedUser, Connection, ConnectionLimits, ConnectionSettings, PasswordHashing, ScriptVersion,
    Tenant, UserJson,
};
pub(crate) use sql::{SqlStore, now};

use crate::runtime::profile::NormalizedProfile;

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or migrated.
    #[error("could not open the store at {url}: {reason}")]
    Open {
        /// Where (password hidden).
        url: String,
        /// Why.
        reason: String,
    },
    /// A name is taken (a tenant, a connection of the tenant).
    #[error("{0} already exists")]
    Exists(String),
    /// What was asked for is not there.
    #[error("{0} not found")]
    NotFound(String),
    /// The database failed.
    #[error("store error: {0}")]
    Database(String),
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// What a successful login (or an explicit refresh from `get-user`) writes
/// into the cache.
#[derive(Debug, Clone)]
pub(crate) struct LoginRecord<'a> {
    /// A login (counted, `last_login` set, may create the user) or a
    /// refresh of a cached user (attributes only).
    pub is_login: bool,
    /// The tenant.
    pub tenant_id: &'a str,
    /// The connection the user logged in through.
    pub connection_id: &'a str,
    /// What the script returned, normalized.
    pub profile: &'a NormalizedProfile,
    /// The client's address.
    pub ip: Option<&'a str>,
    /// Overwrite `name`, `nickname`, `given_name`, `family_name` and
    /// `picture` at each login (the connection's option, on by default).
    pub sync_root_attributes: bool,
}

/// What import mode writes when it migrates a user (docs/behaviour.md §5): the
/// profile the script returned and a hash of the password just entered.
#[derive(Clone)]
pub(crate) struct MigrationRecord<'a> {
    /// What brought the user over.
    pub reason: MigrationReason,
    /// The tenant.
    pub tenant_id: &'a str,
    /// The connection in import mode.
    pub connection_id: &'a str,
    /// What the script returned, normalized (or the signup's profile).
    pub profile: &'a NormalizedProfile,
    /// The hash of the user's password.
    pub password_hash: &'a str,
    /// The client's address.
    pub ip: Option<&'a str>,
}

/// What migrates a user in import mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MigrationReason {
    /// A successful script login (counted, `last_login` set).
    Login,
    /// A signup, which creates the user in authbox only.
    Signup,
    /// A password reset (`last_password_reset` set).
    PasswordReset,
}

/// How a cached user of a connection logs in locally: found by email or
/// username. The hash never leaves the host.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct StoredCredentials {
    /// The cached user.
    pub user_id: String,
    /// Whether import mode migrated the user (then the hash is the truth).
    pub migrated: bool,
    /// The password's hash, for migrated users.
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("user_id", &self.user_id)
            .field("migrated", &self.migrated)
            .finish_non_exhaustive()
    }
}

/// authbox's state, on one backend.
#[async_trait::async_trait]
pub(crate) trait Store: Send + Sync {
    /// Adds a tenant; its name is unique.
    async fn create_tenant(&self, name: &str) -> StoreResult<Tenant>;
    /// The tenant called `name`.
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Tenant>;
    /// The tenant with this id.
    async fn tenant(&self, tenant_id: &str) -> StoreResult<Tenant>;
    /// Sets (or, with `None`, clears) the tenant's default connection, by
    /// name (not checked here).
    async fn set_default_connection(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
    ) -> StoreResult<Tenant>;
    /// Sets (or, with `None`, clears) the tenant's cap on script calls in
    /// flight (not checked here).
    async fn set_tenant_calls(
        &self,
        tenant_id: &str,
        calls_in_flight: Option<u32>,
    ) -> StoreResult<Tenant>;

    /// Adds a connection to a tenant; its name is unique within the tenant.
    async fn create_connection(
        &self,
        tenant_id: &str,
        name: &str,
        settings: &ConnectionSettings,
    ) -> StoreResult<Connection>;
    /// The tenant's connections, by name.
    async fn connections(&self, tenant_id: &str) -> StoreResult<Vec<Connection>>;
    /// A connection of the tenant, by id.
    async fn connection(&self, tenant_id: &str, connection_id: &str) -> StoreResult<Connection>;
    /// A connection of the tenant, by name.
    async fn connection_by_name(&self, tenant_id: &str, name: &str) -> StoreResult<Connection>;
    /// Replaces a connection's settings.
    async fn update_connection(
        &self,
        tenant_id: &str,
        connection_id: &str,
        settings: &ConnectionSettings,
    ) -> StoreResult<Connection>;
    /// Deletes a connection with its scripts and cached users.
    async fn delete_connection(&self, tenant_id: &str, connection_id: &str) -> StoreResult<()>;

    /// Stores a new script version of a connection (not yet active).
    async fn add_script(
        &self,
        connection_id: &str,
        wasm: &[u8],
        sha256: &str,
        actions: &[String],
    ) -> StoreResult<ScriptVersion>;
    /// A connection's script versions, oldest first.
    async fn scripts(&self, connection_id: &str) -> StoreResult<Vec<ScriptVersion>>;
    /// Makes `version` the connection's active script (a rollback when older).
    async fn activate_script(&self, connection_id: &str, version: i64) -> StoreResult<()>;
    /// The connection's active script: its version and bytes.
    async fn active_script(&self, connection_id: &str) -> StoreResult<(ScriptVersion, Vec<u8>)>;

    /// Writes a successful login, or a refresh, into the cache
    /// (docs/behaviour.md §3) and answers the cached user. A refresh of a
    /// user not in the cache is `NotFound`.
    async fn record_login(&self, login: LoginRecord<'_>) -> StoreResult<CachedUser>;
    /// Stores a user migrated by import mode, new or cached before, with
    /// its password hash; metadata already cached is kept. A user already
    /// migrated is `Exists`: its local copy is never overwritten.
    async fn record_migration(&self, migration: MigrationRecord<'_>) -> StoreResult<CachedUser>;
    /// Counts a login checked locally (a migrated user's).
    async fn count_login(
        &self,
        tenant_id: &str,
        user_id: &str,
        ip: Option<&str>,
    ) -> StoreResult<CachedUser>;
    /// The cached user of the connection whose email (any case) or username
    /// is `key`; an email match comes first.
    async fn credentials(
        &self,
        tenant_id: &str,
        connection_id: &str,
        key: &str,
    ) -> StoreResult<Option<StoredCredentials>>;
    /// A cached user of the tenant.
    async fn user(&self, tenant_id: &str, user_id: &str) -> StoreResult<CachedUser>;
    /// The tenant's cached users with this email (any case), any connection.
    async fn users_by_email(&self, tenant_id: &str, email: &str) -> StoreResult<Vec<CachedUser>>;
    /// A page (from 0) of a connection's cached users, ordered by email,
    /// and how many it has in all.
    async fn users_of_connection(
        &self,
        tenant_id: &str,
        connection_id: &str,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<CachedUser>, u64)>;
    /// Removes a cached user.
    async fn delete_user(&self, tenant_id: &str, user_id: &str) -> StoreResult<()>;
    /// Applies `changes` to a cached user if its revision is still
    /// `revision` and answers the user; `None` when another write came
    /// first (read and retry).
    async fn update_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        revision: i64,
        changes: &UserChanges,
    ) -> StoreResult<Option<CachedUser>>;
}

/// What a Management API update writes; `None` leaves a value as it is.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct UserChanges {
    /// The whole new `user_metadata`.
    pub user_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// The whole new `app_metadata`.
    pub app_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Blocks or unblocks logins.
    pub blocked: Option<bool>,
    /// The whole new script-sourced attributes (after the custom database
    /// confirmed a change: a verified or changed email).
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// When the password was last reset (RFC 3339).
    pub last_password_reset: Option<String>,
    /// A migrated user's new password hash.
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for UserChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChanges")
            .field("user_metadata", &self.user_metadata)
            .field("app_metadata", &self.app_metadata)
            .field("blocked", &self.blocked)
            .field("attributes", &self.attributes)
            .field("last_password_reset", &self.last_password_reset)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}
