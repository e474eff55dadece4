//! How a data source is configured: its URL (whose password never shows)
//! and its limits.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

/// Which database a data source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `mysql://` or `mariadb://`.
    MySql,
    /// `sqlite:PATH`.
    Sqlite,
}

/// A data source's URL. Its `Display` hides the password, so it is safe in
/// logs and errors; the full URL is only handed to the database driver.
#[derive(Clone)]
pub struct DataSourceUrl {
    driver: Driver,
    url: String,
    password: Option<String>,
}

/// Why a data-source URL or name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataSourceError {
    /// The scheme is not one authbox speaks.
    #[error(
        "unsupported data source URL `{0}`: use postgres://USER:PASSWORD@HOST/DB, mysql://USER:PASSWORD@HOST/DB or sqlite:PATH"
    )]
    Scheme(String),
    /// The URL does not parse.
    #[error("invalid data source URL `{url}`: {reason}")]
    Invalid {
        /// The URL, password hidden.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The name is empty or has characters other than letters, digits, `-`, `_`.
    #[error(
        "invalid data source name `{0}`: use 1 to 64 letters, digits, `-` or `_` (e.g. `users`)"
    )]
    Name(String),
    /// Not in the form `NAME=URL`.
    #[error("expected NAME=URL, e.g. users=postgres://app@localhost/app")]
    Form,
    /// Two data sources of one connection have the same name.
    #[error("the data source `{0}` is given twice")]
    Duplicate(String),
}

impl DataSourceUrl {
    /// The database this URL points at.
    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// The file of a `sqlite:` URL.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        let rest = self.url.strip_prefix("sqlite:")?.trim_start_matches("//");
        Some(std::path::Path::new(
            rest.split('?').next().unwrap_or_default(),
        ))
    }

    /// The URL as given, password included: for the driver only.
    pub(super) fn secret(&self) -> &str {
        &self.url
    }

    /// Removes the password from a message that might quote it.
    pub(super) fn redact(&self, message: &str) -> String {
        let mut out = message.replace(&self.url, &self.to_string());
        if let Some(password) = self.password.as_deref().filter(|p| p.len() >= 4) {
            out = out.replace(password, "***");
        }
        out
    }
}

impl FromStr for DataSourceUrl {
    type Err = DataSourceError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let scheme = url.split(':').next().unwrap_or_default();
        let driver = match scheme {
            "postgres" | "postgresql" => Driver::Postgres,
            "mysql" | "mariadb" => Driver::MySql,
            "sqlite" => Driver::Sqlite,
            _ => {
                return Err(DataSourceError::Scheme(
                    hide_password(url).unwrap_or_else(|| format!("{scheme}:…")),
                ));
            }
        };
        if driver == Driver::Sqlite {
            let path = url["sqlite:".len()..].trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(DataSourceError::Invalid {
                    url: url.to_string(),
                    reason: "give the path of a database file: sqlite:PATH".into(),
                });
            }
            return DataSourceUrl {
                driver,
                url: url.to_string(),
                password: None,
            }
            .checked();
        }
        let parsed = url::Url::parse(url).map_err(|e| DataSourceError::Invalid {
            url: hide_password(url).unwrap_or_else(|| format!("{scheme}://…")),
            reason: e.to_string(),
        })?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(DataSourceError::Invalid {
                url: hide_password(url).unwrap_or_default(),
                reason: "it names no host".into(),
            });
        }
        let password = parsed.password().map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        });
        // sqlx knows `mariadb` as `mysql`.
        let url = match url.strip_prefix("mariadb:") {
            Some(rest) => format!("mysql:{rest}"),
            None => url.to_string(),
        };
        DataSourceUrl {
            driver,
            url,
            password,
        }
        .checked()
    }
}

impl DataSourceUrl {
    /// `self`, if its driver accepts it (ports, TLS modes, options...), so a
    /// bad URL is refused when it is configured, not at its first statement.
    fn checked(self) -> Result<Self, DataSourceError> {
        let accepted = match self.driver {
            Driver::Postgres => PgConnectOptions::from_str(&self.url).map(drop),
            Driver::MySql => MySqlConnectOptions::from_str(&self.url).map(drop),
            Driver::Sqlite => SqliteConnectOptions::from_str(&self.url).map(drop),
        };
        match accepted {
            Ok(()) => Ok(self),
            Err(e) => Err(DataSourceError::Invalid {
                url: self.to_string(),
                reason: self.redact(&e.to_string()),
            }),
        }
    }
}

/// `url` with its password replaced by `***`, if it parses as a URL.
fn hide_password(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    if parsed.password().is_some() {
        parsed.set_password(Some("***")).ok()?;
    }
    Some(parsed.to_string())
}

impl fmt::Display for DataSourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match hide_password(&self.url) {
            Some(shown) if self.driver != Driver::Sqlite => f.write_str(&shown),
            _ => f.write_str(&self.url),
        }
    }
}

impl fmt::Debug for DataSourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataSourceUrl({self})")
    }
}

/// The limits of one data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSourceSettings {
    /// Connections the pool may open.
    pub max_connections: u32,
    /// How long a statement may wait for a connection, opening one included.
    /// A database that is down answers `unavailable` after this.
    pub acquire_timeout: Duration,
    /// How long a statement may run (never beyond the call's deadline).
    pub statement_timeout: Duration,
    /// Rows a query may return.
    pub max_rows: usize,
    /// Bytes a query's result may take (values and column names).
    pub max_result_bytes: usize,
}

impl Default for DataSourceSettings {
    fn default() -> Self {
        DataSourceSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            max_rows: 1000,
            max_result_bytes: 1 << 20,
        }
    }
}
