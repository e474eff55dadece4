//! How a flow (login, refresh, update...) can fail, for callers to match on.

use crate::mail::MailError;
use crate::management::UpdateError;
use crate::protection::Shield;
use crate::runtime::Refusal;
use crate::runtime::capabilities::password::HashError;
use crate::runtime::report::Report;
use crate::runtime::share::Saturated;
use crate::store::StoreError;

/// Why a flow did not succeed. Nothing is written to the cache when a
/// script fails.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The script, or authbox for a user it holds, answered no: wrong
    /// credentials, unauthorized, user exists, validation.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The user is blocked (the login was still counted).
    #[error("user is blocked")]
    Blocked,
    /// Attack protection refused the attempt before any script ran: the
    /// identifier is blocked after too many failed logins, or the IP is
    /// throttled (docs/behaviour.md §8).
    #[error("{}", match .0 {
        Shield::BruteForce => "too many failed logins of this user: blocked until a password reset or an unblock",
        Shield::SuspiciousIp => "too many failed attempts from this IP: throttled",
    })]
    TooManyAttempts(Shield),
    /// What was asked for does not exist: a tenant, a connection, a
    /// user (cached, or in the connection's database). The text names it
    /// without an article: "user `auth0|42`".
    #[error("{0} not found")]
    NotFound(String),
    /// No call slot came free in time: the tenant (or the connection, or
    /// the host) had as many script calls in flight as it may. Nothing ran;
    /// retry after [`RETRY_AFTER`](crate::runtime::share::RETRY_AFTER).
    #[error("too many script calls in flight for this {}: retry later", .0.name())]
    Busy(Saturated),
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
    /// A script given for a connection was refused; nothing was stored.
    #[error("the script for connection `{connection}` was refused: {reason}")]
    InvalidScript {
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
    /// The tenant's settings are invalid: a cap out of range.
    #[error("{0}")]
    InvalidTenantSettings(String),
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
    /// A Management API update was refused.
    #[error(transparent)]
    Update(UpdateError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// A page of a search starts past the results that can be paged
    /// through ([`MAX_RESULTS`](crate::search::MAX_RESULTS)).
    #[error(
        "You can only page through the first {} records: narrow the search (q), or export \
         the users (POST /api/v2/jobs/users-exports)",
        crate::search::MAX_RESULTS
    )]
    PastResults,
    /// A password-reset ticket cannot be used.
    #[error(transparent)]
    Ticket(#[from] TicketRefusal),
    /// A job was not made.
    #[error(transparent)]
    Job(#[from] JobRefusal),
    /// The mail settings cannot be used.
    #[error("mail: {0}")]
    Mail(#[from] MailError),
}

/// Why a password-reset ticket cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketRefusal {
    /// No ticket has this token.
    #[error("this password reset link is not valid")]
    Unknown,
    /// It was used already.
    #[error("this password reset link was used already")]
    Used,
    /// It expired.
    #[error("this password reset link has expired")]
    Expired,
    /// The tenant has as many live reset links as it may hold.
    #[error("too many password reset links are outstanding for this tenant: retry later")]
    TooMany,
    /// Too many reset requests came from the caller's address (for this
    /// email, or for any).
    #[error("too many password reset requests from this address: retry in {retry_after_secs} s")]
    Throttled {
        /// Seconds until the limit takes a request again.
        retry_after_secs: u64,
    },
}

/// Why a bulk user job was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobRefusal {
    /// The tenant has as many unfinished jobs as it may.
    #[error(
        "the tenant has {} jobs pending or processing: wait until one is done",
        crate::jobs::MAX_OPEN_JOBS_PER_TENANT
    )]
    TooMany,
    /// The file is not a users file (a JSON array).
    #[error("{0}")]
    BadFile(String),
    /// The file is over [`MAX_USERS_FILE_BYTES`](crate::jobs::MAX_USERS_FILE_BYTES).
    #[error("the users file is over {} MiB", crate::jobs::MAX_USERS_FILE_BYTES >> 20)]
    TooLarge,
    /// An export's format, fields or limit cannot be used.
    #[error("{0}")]
    BadExport(String),
    /// An export's download link was not made by this deployment.
    #[error("this download link is not valid: get the job again for a new one")]
    BadLink,
    /// An export's download link expired.
    #[error("this download link has expired: get the job again for a new one")]
    LinkExpired,
}

/// "Not found" arrives as [`FlowError::NotFound`] only.
impl From<StoreError> for FlowError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => FlowError::NotFound(what),
            other => FlowError::Store(other),
        }
    }
}

/// The store's failures of an update arrive as the store's own.
impl From<UpdateError> for FlowError {
    fn from(error: UpdateError) -> Self {
        match error {
            UpdateError::Store(error) => error.into(),
            other => FlowError::Update(other),
        }
    }
}
