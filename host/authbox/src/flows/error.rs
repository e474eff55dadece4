//! How a flow (login, refresh, update...) can fail, for callers to match on.

use crate::management::UpdateError;
use crate::runtime::capabilities::password::HashError;
use crate::runtime::report::Report;
use crate::store::StoreError;

/// Why a flow did not succeed. Nothing is written to the cache when a
/// script fails.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Unknown user or bad password.
    #[error("wrong email or password")]
    WrongCredentials {
        /// Whom the attempt was for, if the script said.
        user_id: Option<String>,
    },
    /// The script refused the user; the message is for the end user.
    #[error("{0}")]
    Unauthorized(String),
    /// Signup: the custom database already has the user.
    #[error("the user already exists")]
    UserExists,
    /// Signup: the script refused the new user's data.
    #[error("{message}")]
    Validation {
        /// The script's code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The user is blocked (the login was still counted).
    #[error("user is blocked")]
    Blocked,
    /// The connection's script has no such user (`get-user`).
    #[error("the connection's database has no user {0}")]
    UnknownUser(String),
    /// The script failed, timed out, trapped or returned an invalid profile;
    /// the report says how, for the tenant's logs.
    #[error("the {} script failed ({}): {}", .0.action, .0.outcome.name(), .0.error.as_ref().map_or("", |e| e.message.as_str()))]
    Script(Box<Report>),
    /// The connection's script does not implement the action.
    #[error("connection `{connection}` has no {action} script")]
    NotImplemented {
        /// The connection.
        connection: String,
        /// The action's name.
        action: &'static str,
    },
    /// The script answered `false`: the custom database changed nothing
    /// (e.g. it does not know the user).
    #[error("the {action} script of connection `{connection}` answered false: nothing changed")]
    NotDone {
        /// The connection.
        connection: String,
        /// The action's name.
        action: &'static str,
    },
    /// `grant_type=password` on a tenant with no default connection and
    /// not exactly one connection.
    #[error("the tenant has no default connection: set `default_directory` in its settings")]
    NoDefaultConnection,
    /// The connection has no active script.
    #[error("connection `{0}` has no active script: upload one")]
    NoScript(String),
    /// A stored script no longer loads.
    #[error("the active script of connection `{connection}` does not load: {reason}")]
    BadScript {
        /// The connection.
        connection: String,
        /// Why.
        reason: String,
    },
    /// The connection's settings are invalid: a limit out of range, a data
    /// source its driver refuses.
    #[error("connection `{connection}`: {reason}")]
    InvalidSettings {
        /// The connection.
        connection: String,
        /// Why (no password in it).
        reason: String,
    },
    /// A user migrated by import mode: authbox holds its profile, the custom
    /// database no longer does (no refresh from `get-user`).
    #[error("user {0} was migrated by import mode: authbox holds its profile now")]
    Migrated(String),
    /// A password could not be hashed or checked against its stored hash.
    #[error("password hashing: {0}")]
    PasswordHash(#[from] HashError),
    /// Not a Management API scope.
    #[error("unknown scope `{0}` (the scopes are: {scopes})", scopes = crate::flows::SCOPES.join(", "))]
    UnknownScope(String),
    /// The sandbox could not start.
    #[error("{0}")]
    Runtime(String),
    /// A Management API update was refused or failed.
    #[error(transparent)]
    Update(#[from] UpdateError),
    /// The store failed, or something asked for does not exist.
    #[error(transparent)]
    Store(#[from] StoreError),
}
