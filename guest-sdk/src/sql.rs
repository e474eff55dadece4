//! The connection's databases ("data sources"), reached through the host.
//!
//! A data source is a name the connection maps to a PostgreSQL, MySQL/MariaDB
//! or SQLite database; the script only ever sees the name. Parameters are
//! always bound by the database, never spliced into the statement text, so
//! build statements as constants and pass every value as a parameter.
//! Placeholders are the database's own: `$1, $2` for PostgreSQL, `?` for MySQL
//! and SQLite.
//!
//! ```no_run
//! use authbox_guest::{sql, Result};
//!
//! # fn f(email: &str) -> Result<()> {
//! let row = sql::query_first(
//!     "users",
//!     "SELECT id, name, email_verified FROM users WHERE email = $1",
//!     &[email.into()],
//! )?;
//! if let Some(row) = row {
//!     let id: i64 = row.get("id")?;
//!     let name: Option<String> = row.get("name")?;
//!     let verified: bool = row.get("email_verified")?;
//! }
//! let changed = sql::execute(
//!     "users",
//!     "UPDATE users SET email_verified = TRUE WHERE email = $1",
//!     &[email.into()],
//! )?;
//! # Ok(()) }
//! ```

use std::rc::Rc;

use crate::bindings::authbox::script::sql as host;
use crate::{Error, Result};

pub use host::{SqlError, Value};

/// Runs a statement that returns rows and answers all of them (the data
/// source caps their number and size; past a cap this is an error, never a
/// silently shortened result).
///
/// ```no_run
/// # fn f() -> authbox_guest::Result<()> {
/// use authbox_guest::sql;
/// for row in sql::query("users", "SELECT email FROM users WHERE blocked = ?", &[false.into()])? {
///     let email: String = row.get("email")?;
/// }
/// # Ok(()) }
/// ```
pub fn query(datasource: &str, statement: &str, params: &[Value]) -> Result<Vec<Row>, SqlError> {
    let rows = host::query(datasource, statement, params)?;
    let columns: Rc<[String]> = rows.columns.into();
    Ok(rows
        .rows
        .into_iter()
        .map(|values| Row {
            columns: Rc::clone(&columns),
            values,
        })
        .collect())
}

/// Runs a statement that returns rows and answers the first, if any.
///
/// ```no_run
/// # fn f() -> authbox_guest::Result<()> {
/// let found = authbox_guest::sql::query_first(
///     "users",
///     "SELECT id FROM users WHERE email = ?",
///     &["ada@example.com".into()],
/// )?;
/// # Ok(()) }
/// ```
pub fn query_first(
    datasource: &str,
    statement: &str,
    params: &[Value],
) -> Result<Option<Row>, SqlError> {
    Ok(query(datasource, statement, params)?.into_iter().next())
}

/// Runs a statement and answers how many rows it changed (on MySQL and
/// MariaDB: how many it matched).
///
/// ```no_run
/// # fn f() -> authbox_guest::Result<()> {
/// let deleted = authbox_guest::sql::execute("users", "DELETE FROM users WHERE id = ?", &[42.into()])?;
/// # Ok(()) }
/// ```
pub fn execute(datasource: &str, statement: &str, params: &[Value]) -> Result<u64, SqlError> {
    host::execute(datasource, statement, params)
}

/// One row of a query's result.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Rc<[String]>,
    values: Vec<Value>,
}

impl Row {
    /// The column names, in order.
    ///
    /// ```no_run
    /// # fn f(row: authbox_guest::sql::Row) {
    /// let names: Vec<&str> = row.columns().iter().map(String::as_str).collect();
    /// # }
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The raw value of `column`, if the row has that column.
    ///
    /// ```no_run
    /// # fn f(row: authbox_guest::sql::Row) {
    /// use authbox_guest::sql::Value;
    /// let is_null = matches!(row.value("name"), Some(Value::Null));
    /// # }
    /// ```
    pub fn value(&self, column: &str) -> Option<&Value> {
        let index = self.columns.iter().position(|c| c == column)?;
        self.values.get(index)
    }

    /// The value of `column` as `T`: `String`, `i64`, `bool`, `f64`,
    /// `Vec<u8>`, [`Value`], or an `Option` of one of them for a nullable
    /// column. A missing column, a null where no `Option` was asked for, or
    /// another type is an error naming the column.
    ///
    /// ```no_run
    /// # fn f(row: authbox_guest::sql::Row) -> authbox_guest::Result<()> {
    /// let email: String = row.get("email")?;
    /// let nickname: Option<String> = row.get("nickname")?;
    /// # Ok(()) }
    /// ```
    pub fn get<T: FromValue>(&self, column: &str) -> Result<T> {
        let value = self.value(column).ok_or_else(|| {
            Error::failed(format!(
                "the query returned no column `{column}` (it returned {})",
                self.columns.join(", ")
            ))
        })?;
        T::from_value(value).map_err(|expected| {
            Error::failed(format!(
                "column `{column}` is {}, expected {expected}",
                type_name(value)
            ))
        })
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "a boolean",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Text(_) => "text",
        Value::Bytes(_) => "bytes",
    }
}

/// A Rust type a column value converts to, for [`Row::get`].
pub trait FromValue: Sized {
    /// The value as `Self`, or what was expected.
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str>;
}

impl FromValue for Value {
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str> {
        Ok(value.clone())
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            _ => Err("text"),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str> {
        match value {
            Value::Integer(i) => Ok(*i),
            _ => Err("an integer"),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str> {
        match value {
            Value::Float(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            _ => Err("a number"),
        }
    }
}

/// Booleans are integers 0 and 1 in SQLite (and `TINYINT(1)` in some MySQL
/// schemas), so those convert too.
impl FromValue for bool {
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str> {
        match value {
            Value::Boolean(b) => Ok(*b),
            Value::Integer(0) => Ok(false),
            Value::Integer(1) => Ok(true),
            _ => Err("a boolean (or the integer 0 or 1)"),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str> {
        match value {
            Value::Bytes(b) => Ok(b.clone()),
            _ => Err("bytes"),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> core::result::Result<Self, &'static str> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Integer(i.into())
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Self {
        Value::Bytes(b.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Bytes(b)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// `?` on a SQL call in an action turns any [`SqlError`] into
/// [`Error::Failed`]; match on the error first to answer otherwise (for
/// example [`SqlError::UniqueViolation`] as [`Error::UserExists`]).
impl From<SqlError> for Error {
    fn from(e: SqlError) -> Self {
        let (kind, message) = match e {
            SqlError::UnknownDatasource(m) => ("unknown data source", m),
            SqlError::Unavailable(m) => ("database unavailable", m),
            SqlError::UniqueViolation(m) => ("unique violation", m),
            SqlError::Statement(m) => ("statement refused", m),
            SqlError::Timeout(m) => ("timeout", m),
            SqlError::TooManyRows(m) => ("too many rows", m),
            SqlError::TooLarge(m) => ("result too large", m),
            SqlError::UnsupportedType(m) => ("unsupported column type", m),
        };
        Error::Failed(format!("sql {kind}: {message}"))
    }
}
