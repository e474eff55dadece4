//! One pool per data source, and running a statement on it within the
//! statement's limits.

use std::str::FromStr;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::mysql::{MySql, MySqlConnectOptions};
use sqlx::pool::{PoolConnectionMetadata, PoolOptions};
use sqlx::postgres::{PgConnectOptions, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnectOptions};
use sqlx::{AssertSqlSafe, Connection, Database, Executor, IntoArguments};

use super::dialect::{Dialect, Param, column_names, column_types, value_size};
use super::error::SqlError;
use super::settings::{DataSourceSettings, DataSourceUrl, Driver};
use super::sqlite_guard;
use super::stats::Counters;
use crate::bindings::authbox::script::sql::Value;

/// A pooled connection idle this long is pinged before a statement uses it,
/// so a database restart costs no failed statement.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(10);

/// Idle connections are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// A data source's pool of connections.
pub(super) enum Pool {
    Postgres(sqlx::Pool<Postgres>),
    MySql(sqlx::Pool<MySql>),
    Sqlite(sqlx::Pool<Sqlite>),
}

/// What one statement may use.
#[derive(Debug, Clone, Copy)]
pub(super) struct StatementLimits {
    /// When the call ends; nothing the statement does outlives it.
    pub call_deadline: Instant,
    /// How long the statement may wait for a connection.
    pub acquire_timeout: Duration,
    /// How long the statement may run once it has a connection.
    pub statement_timeout: Duration,
    pub max_rows: usize,
    pub max_result_bytes: usize,
}

/// When a statement must end, how long that is, and which limit it is.
struct Deadline {
    at: Instant,
    limit: Duration,
    why: &'static str,
    /// Whether the call's deadline is the nearer.
    call_ends_first: bool,
}

impl StatementLimits {
    /// The deadline of a statement that starts (or waits) from `start`.
    fn deadline(&self, start: Instant, own_limit: Duration, why: &'static str) -> Deadline {
        let left = self.call_deadline.saturating_duration_since(start);
        if own_limit <= left {
            Deadline {
                at: start + own_limit,
                limit: own_limit,
                why,
                call_ends_first: false,
            }
        } else {
            Deadline {
                at: self.call_deadline,
                limit: left,
                why: "what was left of the call's deadline",
                call_ends_first: true,
            }
        }
    }
}

impl Deadline {
    fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    fn passed(&self) -> RunError {
        RunError::Sql(SqlError::Timeout {
            limit: self.limit,
            why: self.why,
        })
    }
}

/// What to do with the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Query,
    Execute,
}

/// What a statement answered.
pub(super) enum Outcome {
    Rows(Collected),
    Affected(u64),
}

/// The rows of a query, with their columns' names and database types.
pub(super) struct Collected {
    pub columns: Vec<String>,
    pub types: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Pool {
    /// Prepares the pool; connections open when statements need them.
    pub(super) fn open(
        name: &str,
        url: &DataSourceUrl,
        settings: &DataSourceSettings,
    ) -> Result<Pool, SqlError> {
        // `DataSourceUrl` checked the URL already; this is for completeness.
        let configuration = |e: sqlx::Error| SqlError::Unavailable {
            name: name.to_string(),
            reason: format!("invalid URL {url}: {e}"),
        };
        Ok(match url.driver() {
            Driver::Postgres => {
                let options = PgConnectOptions::from_str(url.secret())
                    .map_err(configuration)?
                    .application_name("authbox")
                    // The server stops a statement the host gave up on.
                    .options([(
                        "statement_timeout",
                        settings.statement_timeout.as_millis().to_string(),
                    )]);
                Pool::Postgres(pool_options(settings).connect_lazy_with(options))
            }
            Driver::MySql => {
                let options = MySqlConnectOptions::from_str(url.secret()).map_err(configuration)?;
                Pool::MySql(pool_options(settings).connect_lazy_with(options))
            }
            Driver::Sqlite => {
                let options = SqliteConnectOptions::from_str(url.secret())
                    .map_err(configuration)?
                    // A typo in the path must not create an empty database.
                    .create_if_missing(false)
                    .busy_timeout(settings.statement_timeout);
                let pool = pool_options(settings)
                    .after_connect(|conn, _| Box::pin(sqlite_guard::confine(conn)))
                    .connect_lazy_with(options);
                Pool::Sqlite(pool)
            }
        })
    }

    /// Runs `statement` with `params` bound, within `limits`.
    pub(super) async fn run(
        &self,
        counters: &Counters,
        mode: Mode,
        statement: String,
        params: Vec<Param>,
        limits: StatementLimits,
    ) -> Result<Outcome, RunError> {
        match self {
            Pool::Postgres(pool) => run(pool, counters, mode, statement, params, limits).await,
            Pool::MySql(pool) => run(pool, counters, mode, statement, params, limits).await,
            Pool::Sqlite(pool) => run(pool, counters, mode, statement, params, limits).await,
        }
    }

    pub(super) async fn close(&self) {
        match self {
            Pool::Postgres(pool) => pool.close().await,
            Pool::MySql(pool) => pool.close().await,
            Pool::Sqlite(pool) => pool.close().await,
        }
    }
}

fn pool_options<DB: Database>(settings: &DataSourceSettings) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(settings.max_connections.max(1))
        .min_connections(0)
        .acquire_timeout(settings.acquire_timeout)
        .idle_timeout(IDLE_TIMEOUT)
        // Pinging every connection before every statement would double the
        // round trips; only long-idle ones are checked.
        .test_before_acquire(false)
        .before_acquire(|conn: &mut DB::Connection, meta: PoolConnectionMetadata| {
            Box::pin(async move {
                if meta.idle_for < PING_WHEN_IDLE_FOR {
                    return Ok(true);
                }
                Ok(conn.ping().await.is_ok())
            })
        })
}

/// Why a statement failed: no connection could be had, a driver error to
/// classify, or an error already classified.
pub(super) enum RunError {
    Connect(sqlx::Error),
    Driver(sqlx::Error),
    Sql(SqlError),
}

impl From<SqlError> for RunError {
    fn from(e: SqlError) -> Self {
        RunError::Sql(e)
    }
}

fn bind<DB: Dialect>(params: Vec<Param>, inferred: &[String]) -> Result<DB::Arguments, RunError> {
    let mut args = DB::Arguments::default();
    for (index, param) in params.into_iter().enumerate() {
        let inferred = inferred.get(index).map(String::as_str);
        DB::add_param(&mut args, param, inferred).map_err(|e| {
            RunError::Sql(SqlError::Statement(format!(
                "parameter {} could not be bound: {e}",
                index + 1
            )))
        })?;
    }
    Ok(args)
}

/// Acquires a connection, runs the statement and collects its result, all
/// before the deadline; a connection whose statement was cut short is
/// closed, not reused.
async fn run<DB>(
    pool: &sqlx::Pool<DB>,
    counters: &Counters,
    mode: Mode,
    statement: String,
    params: Vec<Param>,
    limits: StatementLimits,
) -> Result<Outcome, RunError>
where
    DB: Dialect,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    // Waiting for a connection is bounded by the pool's acquire timeout
    // (then `unavailable`) and by the call.
    let waiting = limits.deadline(
        Instant::now(),
        limits.acquire_timeout,
        "the data source's acquire timeout",
    );
    let mut conn = match tokio::time::timeout(waiting.left(), pool.acquire()).await {
        Ok(acquired) => acquired.map_err(RunError::Connect)?,
        Err(_) if waiting.call_ends_first => return Err(waiting.passed()),
        Err(_) => return Err(RunError::Connect(sqlx::Error::PoolTimedOut)),
    };
    let _running = counters.start_statement();
    let deadline = limits.deadline(
        Instant::now(),
        limits.statement_timeout,
        "the data source's statement timeout",
    );
    let work = async {
        DB::before_statement(&mut conn, deadline.at)
            .await
            .map_err(RunError::Driver)?;
        let inferred = if params.iter().any(|p| matches!(p, Param::Untyped(_))) {
            DB::parameter_types(&mut conn, &statement)
                .await
                .map_err(RunError::Driver)?
        } else {
            Vec::new()
        };
        let args = bind::<DB>(params, &inferred)?;
        let query = sqlx::query_with(AssertSqlSafe(statement), args);
        match mode {
            Mode::Execute => {
                let done = query.execute(&mut *conn).await.map_err(RunError::Driver)?;
                Ok(Outcome::Affected(DB::rows_affected(&done)))
            }
            Mode::Query => collect::<DB>(query.fetch(&mut *conn), limits)
                .await
                .map(Outcome::Rows),
        }
    };
    match tokio::time::timeout(deadline.left(), work).await {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(RunError::Driver(error))) if DB::stopped_at_deadline(&error) => {
            conn.close_on_drop();
            Err(deadline.passed())
        }
        Ok(Err(error)) => {
            // A result stopped at a cap leaves rows unread on the connection.
            if matches!(error, RunError::Sql(_)) {
                conn.close_on_drop();
            }
            Err(error)
        }
        Err(_elapsed) => {
            conn.close_on_drop();
            Err(deadline.passed())
        }
    }
}

async fn collect<DB: Dialect>(
    mut stream: impl futures_util::Stream<Item = Result<DB::Row, sqlx::Error>> + Unpin,
    limits: StatementLimits,
) -> Result<Collected, RunError> {
    let mut columns: Option<(Vec<String>, Vec<String>)> = None;
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = stream.try_next().await.map_err(RunError::Driver)? {
        if rows.len() == limits.max_rows {
            return Err(SqlError::TooManyRows(limits.max_rows).into());
        }
        if columns.is_none() {
            let names = column_names::<DB>(&row);
            let types = column_types::<DB>(&row);
            bytes += names.iter().chain(&types).map(String::len).sum::<usize>();
            columns = Some((names, types));
        }
        let values = DB::values(&row)?;
        bytes += values.iter().map(value_size).sum::<usize>();
        if bytes > limits.max_result_bytes {
            return Err(SqlError::TooLarge(limits.max_result_bytes).into());
        }
        rows.push(values);
    }
    let (columns, types) = columns.unwrap_or_default();
    Ok(Collected {
        columns,
        types,
        rows,
    })
}
