//! What differs between the three databases: how a parameter is bound
//! (and, for untyped text, which type the database infers for it), how a
//! column converts to the WIT `value` (types without an equivalent become
//! text: timestamps as RFC 3339, decimals, UUIDs, JSON), and what a
//! connection needs before each statement.

use std::time::Instant;

use sqlx::error::BoxDynError;
use sqlx::mysql::{MySql, MySqlArguments, MySqlRow};
use sqlx::postgres::{PgArgumentBuffer, PgArguments, PgRow, PgTypeInfo, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteConnection, SqliteRow};
use sqlx::types::chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use sqlx::types::{BigDecimal, JsonValue, Uuid};
use sqlx::{Arguments, AssertSqlSafe, Column, Database, Decode, Row, Type, TypeInfo, ValueRef};

use super::error::SqlError;
use super::sqlite_guard;
use crate::bindings::authbox::script::sql::Value;

/// A statement parameter.
pub(crate) enum Param {
    /// A value of its own type.
    Typed(Value),
    /// Text the database types: PostgreSQL converts it to the type it
    /// infers for the parameter's place (as node-postgres sends values);
    /// MySQL and SQLite take text as it is and convert it themselves.
    Untyped(String),
}

/// A database the `sql` capability speaks.
pub(super) trait Dialect: Database {
    /// Adds `param` to `args` as the next parameter; `inferred` is the type
    /// [`parameter_types`](Self::parameter_types) found for its place.
    fn add_param(
        args: &mut Self::Arguments,
        param: Param,
        inferred: Option<&str>,
    ) -> Result<(), BoxDynError>;

    /// The types the database infers for the statement's parameters (by
    /// preparing it, which the connection caches), for untyped ones.
    fn parameter_types(
        _conn: &mut Self::Connection,
        _statement: &str,
    ) -> impl Future<Output = Result<Vec<String>, sqlx::Error>> + Send {
        std::future::ready(Ok(Vec::new()))
    }

    /// The rows a statement changed (MySQL: matched).
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// The values of `row`, in column order.
    fn values(row: &Self::Row) -> Result<Vec<Value>, SqlError>;

    /// Whether `error` says the database stopped a statement at its deadline.
    fn stopped_at_deadline(_error: &sqlx::Error) -> bool {
        false
    }

    /// Prepares `conn` for a statement that must end by `deadline`.
    fn before_statement(
        _conn: &mut Self::Connection,
        _deadline: Instant,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        std::future::ready(Ok(()))
    }
}

/// The bytes a value adds to a result, for the result-size cap.
pub(super) fn value_size(value: &Value) -> usize {
    match value {
        Value::Text(s) => s.len(),
        Value::Bytes(b) => b.len(),
        _ => 8,
    }
}

/// Adds one parameter for MySQL or SQLite, whose NULLs need no type.
macro_rules! add_param {
    ($args:expr, $value:expr) => {
        match $value {
            Value::Null => $args.add(None::<String>),
            Value::Boolean(b) => $args.add(b),
            Value::Integer(i) => $args.add(i),
            Value::Float(f) => $args.add(f),
            Value::Text(s) => $args.add(s),
            Value::Bytes(b) => $args.add(b),
        }
    };
}

/// Adds one parameter for MySQL or SQLite, which convert text to the
/// column's type themselves: untyped text goes as text.
macro_rules! add_plain_param {
    ($args:expr, $param:expr) => {
        match $param {
            Param::Typed(value) => add_param!($args, value),
            Param::Untyped(text) => $args.add(text),
        }
    };
}

struct UntypedNull;

impl Type<Postgres> for UntypedNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
    }
}

impl sqlx::Encode<'_, Postgres> for UntypedNull {
    fn encode_by_ref(
        &self,
        _buf: &mut PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, BoxDynError> {
        Ok(sqlx::encode::IsNull::Yes)
    }
}

/// The database's own code of an error (SQLSTATE, or SQLite's result code).
fn database_code(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// The column names of `row`.
pub(super) fn column_names<DB: sqlx::Database>(row: &DB::Row) -> Vec<String> {
    row.columns().iter().map(|c| c.name().to_string()).collect()
}

/// The columns' types, as the driver names them (`INT8`, `DATETIME`...).
pub(super) fn column_types<DB: sqlx::Database>(row: &DB::Row) -> Vec<String> {
    row.columns()
        .iter()
        .map(|c| c.type_info().name().to_ascii_uppercase())
        .collect()
}

fn get<'r, DB, T>(row: &'r DB::Row, index: usize) -> Result<Option<T>, SqlError>
where
    DB: sqlx::Database,
    T: Decode<'r, DB> + Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    row.try_get::<Option<T>, _>(index).map_err(|e| {
        SqlError::Statement(format!(
            "column `{}` could not be read: {e}",
            row.columns()[index].name()
        ))
    })
}

fn unsupported<DB: sqlx::Database>(row: &DB::Row, index: usize) -> SqlError {
    let column = &row.columns()[index];
    SqlError::UnsupportedType {
        column: column.name().to_string(),
        type_name: column.type_info().name().to_string(),
    }
}

/// Converts an optional decoded value with `wrap`, NULL to `Value::Null`.
fn or_null<T>(value: Option<T>, wrap: impl FnOnce(T) -> Value) -> Value {
    value.map_or(Value::Null, wrap)
}

fn text<T: ToString>(value: Option<T>) -> Value {
    or_null(value, |v| Value::Text(v.to_string()))
}

/// A decimal as text, without trailing zeros (`1.2500` is `1.25`).
fn decimal(value: Option<BigDecimal>) -> Value {
    or_null(value, |v| {
        let text = v.to_string();
        match text.contains('.') {
            true => Value::Text(text.trim_end_matches('0').trim_end_matches('.').to_string()),
            false => Value::Text(text),
        }
    })
}

fn timestamp_tz(value: Option<DateTime<Utc>>) -> Value {
    or_null(value, |v| Value::Text(v.to_rfc3339()))
}

fn timestamp(value: Option<NaiveDateTime>) -> Value {
    or_null(value, |v| {
        Value::Text(v.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
    })
}

/// Untyped text as the type PostgreSQL inferred for its place, parsed the
/// way PostgreSQL reads that type's text; a type without a conversion here
/// goes as text (the database then names any mismatch).
fn add_inferred(args: &mut PgArguments, text: String, inferred: &str) -> Result<(), BoxDynError> {
    let invalid = |e: &dyn std::fmt::Display| -> BoxDynError {
        format!(
            "{text:?} is not a valid {}: {e}",
            inferred.to_ascii_lowercase()
        )
        .into()
    };
    let trimmed = text.trim();
    match inferred {
        "INT2" => args.add(trimmed.parse::<i16>().map_err(|e| invalid(&e))?),
        "INT4" => args.add(trimmed.parse::<i32>().map_err(|e| invalid(&e))?),
        "INT8" => args.add(trimmed.parse::<i64>().map_err(|e| invalid(&e))?),
        "FLOAT4" => args.add(trimmed.parse::<f32>().map_err(|e| invalid(&e))?),
        "FLOAT8" => args.add(trimmed.parse::<f64>().map_err(|e| invalid(&e))?),
        "NUMERIC" => args.add(trimmed.parse::<BigDecimal>().map_err(|e| invalid(&e))?),
        "BOOL" => args.add(match trimmed.to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => true,
            "f" | "false" | "n" | "no" | "off" | "0" => false,
            _ => return Err(invalid(&"expected true or false")),
        }),
        "UUID" => args.add(Uuid::parse_str(trimmed).map_err(|e| invalid(&e))?),
        "JSON" | "JSONB" => {
            args.add(serde_json::from_str::<JsonValue>(&text).map_err(|e| invalid(&e))?)
        }
        "TIMESTAMPTZ" => args.add(
            DateTime::parse_from_rfc3339(trimmed)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| invalid(&e))?,
        ),
        "TIMESTAMP" => args.add(
            NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f"))
                .or_else(|_| DateTime::parse_from_rfc3339(trimmed).map(|t| t.naive_utc()))
                .map_err(|e| invalid(&e))?,
        ),
        "DATE" => {
            args.add(NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|e| invalid(&e))?)
        }
        _ => args.add(text),
    }
}

impl Dialect for Postgres {
    /// `statement_timeout` (set on every connection) cancelled it.
    fn stopped_at_deadline(error: &sqlx::Error) -> bool {
        database_code(error).as_deref() == Some("57014")
    }

    fn rows_affected(result: &sqlx::postgres::PgQueryResult) -> u64 {
        result.rows_affected()
    }

    /// PostgreSQL types every parameter; a NULL is sent as "unspecified" so
    /// the server infers its type from where it is used (`WHERE id = $1`, an
    /// insert into an integer column...), as it would for a literal NULL.
    fn add_param(
        args: &mut PgArguments,
        param: Param,
        inferred: Option<&str>,
    ) -> Result<(), BoxDynError> {
        match param {
            Param::Typed(Value::Null) => args.add(UntypedNull),
            Param::Typed(other) => add_param!(args, other),
            Param::Untyped(text) => add_inferred(args, text, inferred.unwrap_or("TEXT")),
        }
    }

    async fn parameter_types(
        conn: &mut sqlx::PgConnection,
        statement: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        use sqlx::{Executor, SqlSafeStr, Statement};
        let sql = AssertSqlSafe(statement.to_owned()).into_sql_str();
        let prepared = conn.prepare(sql).await?;
        Ok(match prepared.parameters() {
            Some(sqlx::Either::Left(types)) => types
                .iter()
                .map(|t| t.name().to_ascii_uppercase())
                .collect(),
            _ => Vec::new(),
        })
    }

    fn values(row: &PgRow) -> Result<Vec<Value>, SqlError> {
        (0..row.columns().len())
            .map(|i| {
                let type_name = row.columns()[i].type_info().name().to_ascii_uppercase();
                Ok(match type_name.as_str() {
                    "BOOL" => or_null(get::<Postgres, bool>(row, i)?, Value::Boolean),
                    "INT2" => or_null(get::<Postgres, i16>(row, i)?, |v| Value::Integer(v.into())),
                    "INT4" => or_null(get::<Postgres, i32>(row, i)?, |v| Value::Integer(v.into())),
                    "INT8" => or_null(get::<Postgres, i64>(row, i)?, Value::Integer),
                    "FLOAT4" => or_null(get::<Postgres, f32>(row, i)?, |v| Value::Float(v.into())),
                    "FLOAT8" => or_null(get::<Postgres, f64>(row, i)?, Value::Float),
                    "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CITEXT" | "UNKNOWN" => {
                        or_null(get::<Postgres, String>(row, i)?, Value::Text)
                    }
                    "BYTEA" => or_null(get::<Postgres, Vec<u8>>(row, i)?, Value::Bytes),
                    "NUMERIC" => decimal(get::<Postgres, BigDecimal>(row, i)?),
                    "UUID" => text(get::<Postgres, Uuid>(row, i)?),
                    "JSON" | "JSONB" => text(get::<Postgres, JsonValue>(row, i)?),
                    "TIMESTAMPTZ" => timestamp_tz(get::<Postgres, DateTime<Utc>>(row, i)?),
                    "TIMESTAMP" => timestamp(get::<Postgres, NaiveDateTime>(row, i)?),
                    "DATE" => text(get::<Postgres, NaiveDate>(row, i)?),
                    "TIME" => text(get::<Postgres, NaiveTime>(row, i)?),
                    _ => return Err(unsupported::<Postgres>(row, i)),
                })
            })
            .collect()
    }
}

impl Dialect for MySql {
    fn rows_affected(result: &sqlx::mysql::MySqlQueryResult) -> u64 {
        result.rows_affected()
    }

    fn add_param(
        args: &mut MySqlArguments,
        param: Param,
        _inferred: Option<&str>,
    ) -> Result<(), BoxDynError> {
        add_plain_param!(args, param)
    }

    fn values(row: &MySqlRow) -> Result<Vec<Value>, SqlError> {
        (0..row.columns().len())
            .map(|i| {
                let type_name = row.columns()[i].type_info().name().to_ascii_uppercase();
                Ok(match type_name.as_str() {
                    "NULL" => Value::Null,
                    "BOOLEAN" => or_null(get::<MySql, bool>(row, i)?, Value::Boolean),
                    "TINYINT" => or_null(get::<MySql, i8>(row, i)?, |v| Value::Integer(v.into())),
                    "SMALLINT" => or_null(get::<MySql, i16>(row, i)?, |v| Value::Integer(v.into())),
                    "MEDIUMINT" | "INT" => {
                        or_null(get::<MySql, i32>(row, i)?, |v| Value::Integer(v.into()))
                    }
                    "BIGINT" => or_null(get::<MySql, i64>(row, i)?, Value::Integer),
                    "TINYINT UNSIGNED" => {
                        or_null(get::<MySql, u8>(row, i)?, |v| Value::Integer(v.into()))
                    }
                    "SMALLINT UNSIGNED" | "YEAR" => {
                        or_null(get::<MySql, u16>(row, i)?, |v| Value::Integer(v.into()))
                    }
                    "MEDIUMINT UNSIGNED" | "INT UNSIGNED" => {
                        or_null(get::<MySql, u32>(row, i)?, |v| Value::Integer(v.into()))
                    }
                    // Past i64::MAX it comes as text rather than wrapped.
                    "BIGINT UNSIGNED" => or_null(get::<MySql, u64>(row, i)?, |v| {
                        i64::try_from(v).map_or_else(|_| Value::Text(v.to_string()), Value::Integer)
                    }),
                    "FLOAT" => or_null(get::<MySql, f32>(row, i)?, |v| Value::Float(v.into())),
                    "DOUBLE" => or_null(get::<MySql, f64>(row, i)?, Value::Float),
                    "DECIMAL" => decimal(get::<MySql, BigDecimal>(row, i)?),
                    "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT"
                    | "ENUM" | "SET" | "JSON" => {
                        or_null(get::<MySql, String>(row, i)?, Value::Text)
                    }
                    // sqlx names a text column of a `_bin` collation (MariaDB's
                    // JSON, say) a blob; only the `binary` collation holds bytes.
                    "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB"
                        if <String as Type<MySql>>::compatible(row.columns()[i].type_info()) =>
                    {
                        or_null(get::<MySql, String>(row, i)?, Value::Text)
                    }
                    "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB"
                    | "BIT" => or_null(get::<MySql, Vec<u8>>(row, i)?, Value::Bytes),
                    "TIMESTAMP" => timestamp_tz(get::<MySql, DateTime<Utc>>(row, i)?),
                    "DATETIME" => timestamp(get::<MySql, NaiveDateTime>(row, i)?),
                    "DATE" => text(get::<MySql, NaiveDate>(row, i)?),
                    "TIME" => text(get::<MySql, NaiveTime>(row, i)?),
                    _ => return Err(unsupported::<MySql>(row, i)),
                })
            })
            .collect()
    }
}

impl Dialect for Sqlite {
    fn rows_affected(result: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    fn add_param(
        args: &mut SqliteArguments,
        param: Param,
        _inferred: Option<&str>,
    ) -> Result<(), BoxDynError> {
        add_plain_param!(args, param)
    }

    /// SQLite types each value, not each column: the value's own storage
    /// class decides.
    fn values(row: &SqliteRow) -> Result<Vec<Value>, SqlError> {
        (0..row.columns().len())
            .map(|i| {
                let raw = row
                    .try_get_raw(i)
                    .map_err(|e| SqlError::Statement(e.to_string()))?;
                if raw.is_null() {
                    return Ok(Value::Null);
                }
                let storage = raw.type_info().name().to_ascii_uppercase();
                let unchecked = |e: sqlx::Error| {
                    SqlError::Statement(format!(
                        "column `{}` could not be read: {e}",
                        row.columns()[i].name()
                    ))
                };
                Ok(match storage.as_str() {
                    "INTEGER" | "BOOLEAN" | "INT8" => {
                        Value::Integer(row.try_get_unchecked::<i64, _>(i).map_err(unchecked)?)
                    }
                    "REAL" | "NUMERIC" => {
                        Value::Float(row.try_get_unchecked::<f64, _>(i).map_err(unchecked)?)
                    }
                    "TEXT" | "DATETIME" | "DATE" | "TIME" => {
                        Value::Text(row.try_get_unchecked::<String, _>(i).map_err(unchecked)?)
                    }
                    "BLOB" => {
                        Value::Bytes(row.try_get_unchecked::<Vec<u8>, _>(i).map_err(unchecked)?)
                    }
                    _ => return Err(unsupported::<Sqlite>(row, i)),
                })
            })
            .collect()
    }

    /// The progress handler `before_statement` installs interrupted it.
    fn stopped_at_deadline(error: &sqlx::Error) -> bool {
        database_code(error).as_deref() == Some("9")
    }

    fn before_statement(
        conn: &mut SqliteConnection,
        deadline: Instant,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        sqlite_guard::interrupt_at(conn, deadline)
    }
}
