//! Tenant logs in the SQL store (a SQLite store keeps them in a file of
//! their own, see [`SqlStore::logs`]): events written in batches, read a
//! page at a time with Auth0's query syntax, swept by age and count in small
//! batches (a sweep never holds the store long from the logins).

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::search::{Bind, Condition, bind_all};
use super::sql::{SqlStore, database, json_text};
use super::{StoreError, StoreResult};
use crate::logs::{LogEvent, LogPage, LogSearch, LogTerm};
use crate::search::Bound;

/// Events deleted per statement of a sweep.
const SWEEP_BATCH: i64 = 1000;

/// Events copied per statement when an older SQLite store's log moves into
/// its own file.
const MOVE_BATCH: i64 = 1000;

const COLUMNS: &str = "tenant_id, log_id, date, type, description, ip, user_agent, client_id, \
    client_name, user_id, user_name, connection, connection_id, details";
/// How many [`COLUMNS`] there are.
const COLUMN_COUNT: usize = 14;

/// The store of tenants' logs.
#[async_trait]
pub(crate) trait LogStore: Send + Sync {
    /// Writes events (of any tenants).
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()>;
    /// A page of a tenant's events that `search` finds, and (if it asks)
    /// how many it finds in all.
    async fn log_events(
        &self,
        tenant_id: &str,
        search: &LogSearch,
    ) -> StoreResult<(Vec<LogEvent>, Option<u64>)>;
    /// One event of a tenant.
    async fn log_event(&self, tenant_id: &str, log_id: &str) -> StoreResult<LogEvent>;
    /// Deletes the events whose id is below `cutoff_id` (older), and each
    /// tenant's beyond its newest `keep`; answers how many.
    async fn sweep_log_events(&self, cutoff_id: &str, keep: u64) -> StoreResult<u64>;
}

fn log_term(condition: &mut Condition, term: &LogTerm) -> String {
    match term {
        LogTerm::Text(column, matcher) => {
            let postgres = condition.postgres;
            condition.text_match(&format!("log_events.{column}"), matcher, postgres)
        }
        LogTerm::Date(from, to) => {
            let end = |b: &Bound<String>| (Bind::Text(b.value.clone()), b.inclusive);
            condition.range(
                "log_events.date",
                from.as_ref().map(end),
                to.as_ref().map(end),
            )
        }
    }
}

fn log_event(row: &AnyRow) -> StoreResult<LogEvent> {
    let text = |column: &str| row.try_get::<String, _>(column).map_err(database);
    let optional = |column: &str| row.try_get::<Option<String>, _>(column).map_err(database);
    let details = match serde_json::from_str(&text("details")?) {
        Ok(Value::Object(details)) => details,
        _ => {
            return Err(StoreError::Database(
                "stored log details are not an object".into(),
            ));
        }
    };
    Ok(LogEvent {
        tenant_id: text("tenant_id")?,
        log_id: text("log_id")?,
        date: text("date")?,
        event_type: text("type")?,
        description: text("description")?,
        ip: optional("ip")?,
        user_agent: optional("user_agent")?,
        client_id: optional("client_id")?,
        client_name: optional("client_name")?,
        user_id: optional("user_id")?,
        user_name: optional("user_name")?,
        connection: optional("connection")?,
        connection_id: optional("connection_id")?,
        details,
    })
}

#[async_trait]
impl LogStore for SqlStore {
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()> {
        // An event already there is left as it is: a batch written again
        // (the move of an older store's log, after a crash) is no error.
        // One statement and one bound value per batch: the events as a JSON
        // array of rows, which the database takes apart. (Binding a value
        // per column costs time quadratic in a statement's placeholders:
        // sqlx looks each one's name up, and SQLite finds a name by a linear
        // search. 500 events of 14 values spent more time binding than
        // writing, and took a third of the SQLite store's login rate.)
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            rows.push(Value::Array(vec![
                event.tenant_id.clone().into(),
                event.log_id.clone().into(),
                event.date.clone().into(),
                event.event_type.clone().into(),
                event.description.clone().into(),
                event.ip.clone().into(),
                event.user_agent.clone().into(),
                event.client_id.clone().into(),
                event.client_name.clone().into(),
                event.user_id.clone().into(),
                event.user_name.clone().into(),
                event.connection.clone().into(),
                event.connection_id.clone().into(),
                json_text(&event.details)?.into(),
            ]));
        }
        let statement = match self.sqlite() {
            true => {
                let values: Vec<String> = (0..COLUMN_COUNT)
                    .map(|i| format!("json_extract(e.value, '$[{i}]')"))
                    .collect();
                // (`WHERE true`: SQLite reads an `ON` after a bare `FROM`
                // as a join's.)
                format!(
                    "INSERT INTO log_events ({COLUMNS}) SELECT {} FROM json_each($1) AS e \
                     WHERE true ON CONFLICT DO NOTHING",
                    values.join(", ")
                )
            }
            false => {
                let values: Vec<String> = (0..COLUMN_COUNT).map(|i| format!("e ->> {i}")).collect();
                format!(
                    "INSERT INTO log_events ({COLUMNS}) SELECT {} \
                     FROM json_array_elements($1::json) AS e ON CONFLICT DO NOTHING",
                    values.join(", ")
                )
            }
        };
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(Value::Array(rows).to_string())
            .execute(&self.logs)
            .await
            .map_err(database)?;
        Ok(())
    }

    async fn log_events(
        &self,
        tenant_id: &str,
        search: &LogSearch,
    ) -> StoreResult<(Vec<LogEvent>, Option<u64>)> {
        let mut condition = Condition::new(!self.sqlite());
        match &search.query {
            Some(query) => condition.push(query, log_term),
            None => condition.sql.push_str("1 = 1"),
        }
        if let Some(user_id) = &search.user_id {
            let user = condition.bind(Bind::Text(user_id.clone()));
            condition.sql = format!("({}) AND log_events.user_id = {user}", condition.sql);
        }
        let mut filter = format!("log_events.tenant_id = $1 AND ({})", condition.sql);
        let counted = filter.clone();
        let (order, limit, offset) = match &search.page {
            LogPage::Offset {
                page,
                per_page,
                oldest_first,
            } => {
                let order = if *oldest_first { "ASC" } else { "DESC" };
                let offset = i64::from(*page).saturating_mul(i64::from(*per_page));
                (order, i64::from(*per_page), offset)
            }
            LogPage::Checkpoint { from, take } => {
                if let Some(from) = from {
                    let after = condition.bind(Bind::Text(from.clone()));
                    filter.push_str(&format!(" AND log_events.log_id > {after}"));
                }
                ("ASC", i64::from(*take), 0)
            }
        };
        let counted_binds = condition.bound();
        let limit = condition.bind(Bind::Int(limit));
        let offset = condition.bind(Bind::Int(offset));
        let statement = format!(
            "SELECT {COLUMNS} FROM log_events WHERE {filter} \
             ORDER BY log_events.log_id {order} LIMIT {limit} OFFSET {offset}"
        );
        let binds = condition.into_binds();
        let events = bind_all(
            sqlx::query(sqlx::AssertSqlSafe(statement)),
            tenant_id,
            &binds,
        )
        .fetch_all(&self.logs)
        .await
        .map_err(database)?
        .iter()
        .map(log_event)
        .collect::<StoreResult<Vec<_>>>()?;
        if !search.include_totals {
            return Ok((events, None));
        }
        let statement = format!("SELECT COUNT(*) AS total FROM log_events WHERE {counted}");
        let total: i64 = bind_all(
            sqlx::query(sqlx::AssertSqlSafe(statement)),
            tenant_id,
            &binds[..counted_binds],
        )
        .fetch_one(&self.logs)
        .await
        .map_err(database)?
        .try_get("total")
        .map_err(database)?;
        Ok((events, Some(total.max(0) as u64)))
    }

    async fn log_event(&self, tenant_id: &str, log_id: &str) -> StoreResult<LogEvent> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM log_events WHERE tenant_id = $1 AND log_id = $2"
        )))
        .bind(tenant_id)
        .bind(log_id)
        .fetch_optional(&self.logs)
        .await
        .map_err(database)?
        .ok_or_else(|| StoreError::NotFound(format!("log event `{log_id}`")))?;
        log_event(&row)
    }

    async fn sweep_log_events(&self, cutoff_id: &str, keep: u64) -> StoreResult<u64> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        // Tenant by tenant, on the key: no statement reads every event (a
        // count of each tenant's events would, every sweep). The tenants
        // with events, one seek each on the key (neither database skips
        // through an index for a `DISTINCT` by itself).
        let tenants: Vec<String> = sqlx::query_scalar(
            "WITH RECURSIVE logged (tenant_id) AS ( \
               SELECT MIN(tenant_id) FROM log_events \
               UNION ALL \
               SELECT (SELECT MIN(e.tenant_id) FROM log_events e \
                       WHERE e.tenant_id > logged.tenant_id) \
               FROM logged WHERE logged.tenant_id IS NOT NULL) \
             SELECT tenant_id FROM logged WHERE tenant_id IS NOT NULL",
        )
        .fetch_all(&self.logs)
        .await
        .map_err(database)?;
        let mut deleted = 0;
        for tenant_id in tenants {
            deleted += self.delete_in_batches(&tenant_id, cutoff_id).await?;
            // The oldest event kept: the tenant's newest `keep`-th, if it
            // has that many (reads at most `keep` entries of the key).
            let oldest_kept: Option<String> = sqlx::query_scalar(
                "SELECT log_id FROM log_events WHERE tenant_id = $1 \
                 ORDER BY log_id DESC LIMIT 1 OFFSET $2",
            )
            .bind(&tenant_id)
            .bind(keep.saturating_sub(1))
            .fetch_optional(&self.logs)
            .await
            .map_err(database)?;
            if let Some(oldest_kept) = oldest_kept {
                deleted += self.delete_in_batches(&tenant_id, &oldest_kept).await?;
            }
        }
        if deleted > 0 && !self.sqlite() {
            // PostgreSQL keeps a deleted event's row and its index entries
            // until a vacuum; the next sweep's statements read them again,
            // and a server without autovacuum never takes them: the sweep
            // beside the 100,000-user import bench's logins read more each
            // minute (a batch 95 ms, the count 650 ms). Without a
            // transaction, beside the writers (it locks out only another
            // vacuum of the table); the statistics let the count read the
            // key backwards.
            sqlx::raw_sql("VACUUM (ANALYZE) log_events")
                .execute(&self.logs)
                .await
                .map_err(database)?;
        }
        Ok(deleted)
    }
}

impl SqlStore {
    /// Moves the events an older SQLite store kept in its own file (before
    /// the log had a file of its own) into the log file, then drops their
    /// table; answers how many. Run at each opening, so a move cut short
    /// is finished at the next (events copied twice are kept once). A
    /// store made by this version has the table from migration 8, empty.
    pub(super) async fn move_log_into_its_file(&self) -> StoreResult<u64> {
        let in_store: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'log_events'",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        if in_store.is_none() {
            return Ok(0);
        }
        let statement = format!(
            "SELECT {COLUMNS} FROM log_events WHERE (tenant_id, log_id) > ($1, $2) \
             ORDER BY tenant_id, log_id LIMIT {MOVE_BATCH}"
        );
        let mut after = (String::new(), String::new());
        let mut moved = 0;
        loop {
            let events = sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                .bind(&after.0)
                .bind(&after.1)
                .fetch_all(&self.pool)
                .await
                .map_err(database)?
                .iter()
                .map(log_event)
                .collect::<StoreResult<Vec<_>>>()?;
            let Some(last) = events.last() else { break };
            after = (last.tenant_id.clone(), last.log_id.clone());
            self.insert_log_events(&events).await?;
            moved += events.len() as u64;
        }
        sqlx::raw_sql("DROP TABLE IF EXISTS log_events")
            .execute(&self.pool)
            .await
            .map_err(database)?;
        if moved > 0 {
            tracing::info!(events = moved, "moved the tenant log into its own file");
        }
        Ok(moved)
    }

    /// Deletes the tenant's events whose id is below `below`,
    /// [`SWEEP_BATCH`] per statement (on the primary key), giving the store
    /// back between statements. The oldest first: in the key's order the
    /// batch is read from the key's start and ends after `SWEEP_BATCH`
    /// rows; unordered, PostgreSQL gathered every old event of the tenant
    /// (a bitmap of the key) at each batch.
    async fn delete_in_batches(&self, tenant_id: &str, below: &str) -> StoreResult<u64> {
        let statement = format!(
            "DELETE FROM log_events WHERE tenant_id = $1 AND log_id IN \
             (SELECT log_id FROM log_events WHERE tenant_id = $1 AND log_id < $2 \
             ORDER BY log_id LIMIT {SWEEP_BATCH})"
        );
        let mut deleted = 0;
        loop {
            let done = sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                .bind(tenant_id)
                .bind(below)
                .execute(&self.logs)
                .await
                .map_err(database)?
                .rows_affected();
            deleted += done;
            if done < SWEEP_BATCH as u64 {
                return Ok(deleted);
            }
            tokio::task::yield_now().await;
        }
    }
}
