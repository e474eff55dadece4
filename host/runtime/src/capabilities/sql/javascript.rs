//! `authbox:js/sql`: the same data sources for the JavaScript engine's `pg`
//! and `mysql` modules, with what the Node drivers need beyond
//! `authbox:script/sql`: the data sources' drivers (to find "the" PostgreSQL
//! or MySQL one), untyped text parameters (PostgreSQL infers their types, as
//! with node-postgres) and the columns' database types (so that a
//! `TIMESTAMPTZ` reaches the script as a `Date`).

use wasmtime::component::{HasSelf, Linker};

use super::dialect::Param;
use super::pool::{Mode, Outcome};
use super::{Driver, SqlCapability, SqlError};
use crate::bindings::authbox::script::sql as wit;
use crate::bindings::js::authbox::js::sql as js;
use crate::capabilities::HasCapability;

pub(super) fn add_to_linker<T: HasCapability<SqlCapability>>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    js::add_to_linker::<T, HasSelf<SqlCapability>>(linker, |t| t.capability().state)
}

fn param(param: js::Param) -> Param {
    Param::Typed(match param {
        js::Param::Untyped(text) => return Param::Untyped(text),
        js::Param::Null => wit::Value::Null,
        js::Param::Boolean(b) => wit::Value::Boolean(b),
        js::Param::Integer(i) => wit::Value::Integer(i),
        js::Param::Float(f) => wit::Value::Float(f),
        js::Param::Bytes(b) => wit::Value::Bytes(b),
    })
}

fn value(value: wit::Value) -> js::Value {
    match value {
        wit::Value::Null => js::Value::Null,
        wit::Value::Boolean(b) => js::Value::Boolean(b),
        wit::Value::Integer(i) => js::Value::Integer(i),
        wit::Value::Float(f) => js::Value::Float(f),
        wit::Value::Text(s) => js::Value::Text(s),
        wit::Value::Bytes(b) => js::Value::Bytes(b),
    }
}

/// The error as `authbox:script/sql` names it.
fn failure(error: SqlError) -> js::Failure {
    let (kind, message) = match wit::SqlError::from(error) {
        wit::SqlError::UnknownDatasource(m) => ("unknown-datasource", m),
        wit::SqlError::Unavailable(m) => ("unavailable", m),
        wit::SqlError::UniqueViolation(m) => ("unique-violation", m),
        wit::SqlError::Statement(m) => ("statement", m),
        wit::SqlError::Timeout(m) => ("timeout", m),
        wit::SqlError::TooManyRows(m) => ("too-many-rows", m),
        wit::SqlError::TooLarge(m) => ("too-large", m),
        wit::SqlError::UnsupportedType(m) => ("unsupported-type", m),
    };
    js::Failure {
        kind: kind.to_owned(),
        message,
    }
}

impl js::Host for SqlCapability {
    async fn datasources(&mut self) -> wasmtime::Result<Vec<js::Datasource>> {
        Ok(self
            .sources
            .names()
            .filter_map(|name| {
                let driver = match self.sources.get(name)?.url().driver() {
                    Driver::Postgres => "postgres",
                    Driver::MySql => "mysql",
                    Driver::Sqlite => "sqlite",
                };
                Some(js::Datasource {
                    name: name.to_owned(),
                    driver: driver.to_owned(),
                })
            })
            .collect())
    }

    async fn query(
        &mut self,
        datasource: String,
        statement: String,
        params: Vec<js::Param>,
    ) -> wasmtime::Result<Result<js::Rows, js::Failure>> {
        let params = params.into_iter().map(param).collect();
        Ok(
            match self.run(Mode::Query, &datasource, statement, params).await {
                Ok(Outcome::Rows(rows)) => Ok(js::Rows {
                    columns: rows.columns,
                    types: rows.types,
                    rows: rows
                        .rows
                        .into_iter()
                        .map(|row| row.into_iter().map(value).collect())
                        .collect(),
                }),
                Ok(Outcome::Affected(_)) => unreachable!("a query answers rows"),
                Err(e) => Err(failure(e)),
            },
        )
    }

    async fn execute(
        &mut self,
        datasource: String,
        statement: String,
        params: Vec<js::Param>,
    ) -> wasmtime::Result<Result<u64, js::Failure>> {
        let params = params.into_iter().map(param).collect();
        Ok(
            match self
                .run(Mode::Execute, &datasource, statement, params)
                .await
            {
                Ok(Outcome::Affected(n)) => Ok(n),
                Ok(Outcome::Rows(_)) => unreachable!("an execute answers a count"),
                Err(e) => Err(failure(e)),
            },
        )
    }
}
