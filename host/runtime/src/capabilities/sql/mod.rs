//! `authbox:script/sql`: a script's statements on its connection's own
//! databases. Every data source has a pool in the host (opened on first use,
//! bounded, shared by the connection's calls); a statement waits on it
//! asynchronously, so a script waiting on its database holds no thread.
//! Parameters are always bound by the database. Each statement is bounded in
//! time (the data source's statement timeout, never beyond the call's
//! deadline), in rows and in bytes; every failure is a `sql-error` the
//! script receives, never a trap. Passwords in data-source URLs appear in no
//! message.

mod datasource;
mod dialect;
mod error;
mod javascript;
mod pool;
mod settings;
mod sqlite_guard;
mod stats;
#[cfg(test)]
mod tests;

use std::time::Instant;

use wasmtime::component::{HasSelf, Linker};

pub use datasource::{DataSource, DataSources};
pub use error::SqlError;
pub use settings::{DataSourceError, DataSourceSettings, DataSourceUrl, Driver};
pub use stats::DataSourceStats;

use super::{CallScope, Capability, HasCapability};
use crate::bindings::authbox::script::sql as wit;
use dialect::Param;
use pool::{Mode, Outcome, RunError, StatementLimits};

/// The `sql` capability of one call.
pub struct SqlCapability {
    sources: DataSources,
    call_deadline: Instant,
}

impl SqlCapability {
    /// Serves `sources` to a call that must end by `call_deadline`.
    pub fn new(sources: DataSources, call_deadline: Instant) -> Self {
        SqlCapability {
            sources,
            call_deadline,
        }
    }

    async fn run(
        &self,
        mode: Mode,
        datasource: &str,
        statement: String,
        params: Vec<Param>,
    ) -> Result<Outcome, SqlError> {
        let source = self
            .sources
            .get(datasource)
            .ok_or_else(|| SqlError::UnknownDatasource {
                name: datasource.to_string(),
                known: match self.sources.names().collect::<Vec<_>>() {
                    names if names.is_empty() => "none".to_string(),
                    names => names.join(", "),
                },
            })?;
        let settings = source.settings();
        let limits = StatementLimits {
            call_deadline: self.call_deadline,
            acquire_timeout: settings.acquire_timeout,
            statement_timeout: settings.statement_timeout,
            max_rows: settings.max_rows,
            max_result_bytes: settings.max_result_bytes,
        };
        let started = Instant::now();
        let outcome = match source.pool().await {
            Ok(pool) => pool
                .run(source.counters(), mode, statement, params, limits)
                .await
                .map_err(|e| match e {
                    RunError::Connect(e) => SqlError::unavailable(e, datasource, source.url()),
                    RunError::Driver(e) => SqlError::from_driver(e, datasource, source.url()),
                    RunError::Sql(e) => e.redacted(source.url()),
                }),
            Err(e) => Err(e),
        };
        if let Err(error) = &outcome {
            source.counters().count_error();
            tracing::debug!(datasource, %error, after = ?started.elapsed(), "sql statement failed");
        }
        outcome
    }
}

impl wit::Host for SqlCapability {
    async fn query(
        &mut self,
        datasource: String,
        statement: String,
        params: Vec<wit::Value>,
    ) -> wasmtime::Result<Result<wit::Rows, wit::SqlError>> {
        Ok(
            match self
                .run(Mode::Query, &datasource, statement, typed(params))
                .await
            {
                Ok(Outcome::Rows(rows)) => Ok(wit::Rows {
                    columns: rows.columns,
                    rows: rows.rows,
                }),
                Ok(Outcome::Affected(_)) => unreachable!("a query answers rows"),
                Err(e) => Err(e.into()),
            },
        )
    }

    async fn execute(
        &mut self,
        datasource: String,
        statement: String,
        params: Vec<wit::Value>,
    ) -> wasmtime::Result<Result<u64, wit::SqlError>> {
        Ok(
            match self
                .run(Mode::Execute, &datasource, statement, typed(params))
                .await
            {
                Ok(Outcome::Affected(n)) => Ok(n),
                Ok(Outcome::Rows(_)) => unreachable!("an execute answers a count"),
                Err(e) => Err(e.into()),
            },
        )
    }
}

/// The parameters of `authbox:script/sql`: each of its own type.
fn typed(params: Vec<wit::Value>) -> Vec<Param> {
    params.into_iter().map(Param::Typed).collect()
}

impl Capability for SqlCapability {
    const INTERFACE: &'static str = "authbox:script/sql";
    type Settings = DataSources;
    type Config = ();
    type Shared = ();

    fn shared((): &()) {}

    fn for_call(sources: &DataSources, (): &(), scope: &CallScope<'_>) -> Self {
        SqlCapability::new(sources.clone(), scope.deadline)
    }

    /// Also the JavaScript engine's `authbox:js/sql` (see `javascript.rs`),
    /// which scripts may not import.
    fn add_to_linker<T: HasCapability<Self>>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
        wit::add_to_linker::<T, HasSelf<Self>>(linker, |t| t.capability().state)?;
        javascript::add_to_linker(linker)
    }
}
