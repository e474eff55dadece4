//! Why a statement failed, as the host sees it and as the script receives it.

use std::time::Duration;

use super::settings::DataSourceUrl;
use crate::bindings::authbox::script::sql as wit;

/// Why a statement did not run or its result was refused. Messages never
/// hold a data source's password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The connection has no data source of this name.
    #[error("this connection has no data source `{name}` (it has: {known})")]
    UnknownDatasource {
        /// The name the script gave.
        name: String,
        /// The names it could have given.
        known: String,
    },
    /// The database could not be reached.
    #[error("data source `{name}` is unavailable: {reason}")]
    Unavailable {
        /// The data source.
        name: String,
        /// Why.
        reason: String,
    },
    /// A unique constraint refused the statement.
    #[error("{0}")]
    UniqueViolation(String),
    /// The database refused the statement.
    #[error("{0}")]
    Statement(String),
    /// The statement ran past its time limit.
    #[error("the statement ran past {} ms ({why})", .limit.as_millis())]
    Timeout {
        /// The limit it ran past.
        limit: Duration,
        /// Which limit that was.
        why: &'static str,
    },
    /// The query returned more rows than allowed.
    #[error("the query returned more than {0} rows; add a LIMIT or a narrower WHERE")]
    TooManyRows(usize),
    /// The result was larger than allowed.
    #[error("the query's result is larger than {0} bytes; select fewer or smaller columns")]
    TooLarge(usize),
    /// A column's type has no conversion.
    #[error(
        "column `{column}` has type {type_name}, which authbox cannot convert; cast it in SQL (e.g. to text)"
    )]
    UnsupportedType {
        /// The column.
        column: String,
        /// The database's name for its type.
        type_name: String,
    },
}

impl SqlError {
    /// A failure to get a connection to data source `name`.
    pub(super) fn unavailable(error: sqlx::Error, name: &str, url: &DataSourceUrl) -> Self {
        match SqlError::from_driver(error, name, url) {
            SqlError::UniqueViolation(reason) | SqlError::Statement(reason) => {
                SqlError::Unavailable {
                    name: name.to_string(),
                    reason,
                }
            }
            other => other,
        }
    }

    /// Classifies a driver error of data source `name`.
    pub(super) fn from_driver(error: sqlx::Error, name: &str, url: &DataSourceUrl) -> Self {
        let unavailable = |reason: String| SqlError::Unavailable {
            name: name.to_string(),
            reason: url.redact(&reason),
        };
        match error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                SqlError::UniqueViolation(url.redact(db.message()))
            }
            sqlx::Error::Database(db) => SqlError::Statement(url.redact(db.message())),
            sqlx::Error::PoolTimedOut => unavailable(
                "no connection could be had in time: the database is down or unreachable, or all of the pool's connections are busy".into(),
            ),
            sqlx::Error::Io(e) => unavailable(e.to_string()),
            sqlx::Error::Tls(e) => unavailable(format!("TLS: {e}")),
            sqlx::Error::Configuration(e) => unavailable(format!("configuration: {e}")),
            sqlx::Error::Protocol(e) => unavailable(format!("protocol: {e}")),
            sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                unavailable("the connection pool is closed".into())
            }
            other => SqlError::Statement(url.redact(&other.to_string())),
        }
    }

    /// Hides `url`'s password in every message.
    pub(super) fn redacted(self, url: &DataSourceUrl) -> Self {
        match self {
            SqlError::Unavailable { name, reason } => SqlError::Unavailable {
                name,
                reason: url.redact(&reason),
            },
            SqlError::UniqueViolation(m) => SqlError::UniqueViolation(url.redact(&m)),
            SqlError::Statement(m) => SqlError::Statement(url.redact(&m)),
            other => other,
        }
    }
}

impl From<SqlError> for wit::SqlError {
    fn from(e: SqlError) -> Self {
        let message = e.to_string();
        match e {
            SqlError::UnknownDatasource { .. } => wit::SqlError::UnknownDatasource(message),
            SqlError::Unavailable { .. } => wit::SqlError::Unavailable(message),
            SqlError::UniqueViolation(_) => wit::SqlError::UniqueViolation(message),
            SqlError::Statement(_) => wit::SqlError::Statement(message),
            SqlError::Timeout { .. } => wit::SqlError::Timeout(message),
            SqlError::TooManyRows(_) => wit::SqlError::TooManyRows(message),
            SqlError::TooLarge(_) => wit::SqlError::TooLarge(message),
            SqlError::UnsupportedType { .. } => wit::SqlError::UnsupportedType(message),
        }
    }
}
