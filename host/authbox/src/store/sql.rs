//! [`Store`] on SQLite or PostgreSQL through sqlx's `Any` driver: one set of
//! statements (`$n` placeholders, text ids, timestamps and JSON) serves both.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};

use super::records::{CachedUser, Connection, ConnectionSettings, ScriptVersion, Tenant};
use super::rekey::check_and_seal;
use super::sealed::{Place, seal, unseal};
use super::search::{
    self, Bind, BindKeys, PartCounts, RootKeys, SearchStatements, bind_values, terms_column,
};
use super::search_plan::SearchPlan;
use super::secret_key::SecretKey;
use super::sqlite_upkeep::SqliteUpkeep;
use super::{
    LoginRecord, MigrationReason, MigrationRecord, Store, StoreError, StoreResult,
    StoredCredentials, UserChanges,
};
use crate::runtime::capabilities::sql::DataSourceUrl;
use crate::search::UserSearch;

/// An embedded migration: its statements for both backends, then those
/// of the backend it runs on.
struct Migration {
    version: i64,
    both: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    /// Whether the users already cached get their search columns and terms
    /// once it is applied.
    backfills_search: bool,
}

impl Migration {
    const fn both(version: i64, both: &'static str) -> Migration {
        Migration {
            version,
            both,
            sqlite: "",
            postgres: "",
            backfills_search: false,
        }
    }
}

/// The embedded migrations, applied in order, each once.
const MIGRATIONS: &[Migration] = &[
    Migration::both(1, include_str!("migrations/0001_init.sql")),
    Migration::both(2, include_str!("migrations/0002_access.sql")),
    Migration::both(3, include_str!("migrations/0003_tenant_settings.sql")),
    Migration::both(4, include_str!("migrations/0004_tenant_calls.sql")),
    Migration::both(5, include_str!("migrations/0005_attack_protection.sql")),
    Migration::both(6, include_str!("migrations/0006_secret_key.sql")),
    Migration {
        version: 7,
        both: include_str!("migrations/0007_user_search.sql"),
        sqlite: include_str!("migrations/0007_user_search.sqlite.sql"),
        postgres: include_str!("migrations/0007_user_search.postgres.sql"),
        backfills_search: true,
    },
    Migration::both(8, include_str!("migrations/0008_tenant_logs.sql")),
    Migration {
        version: 9,
        both: include_str!("migrations/0009_terms_by_trigger.sql"),
        sqlite: include_str!("migrations/0009_terms_by_trigger.sqlite.sql"),
        postgres: include_str!("migrations/0009_terms_by_trigger.postgres.sql"),
        backfills_search: false,
    },
    Migration::both(10, include_str!("migrations/0010_password_tickets.sql")),
    Migration::both(11, include_str!("migrations/0011_jobs.sql")),
    Migration {
        version: 12,
        both: include_str!("migrations/0012_user_exports.sql"),
        sqlite: include_str!("migrations/0012_user_exports.sqlite.sql"),
        postgres: include_str!("migrations/0012_user_exports.postgres.sql"),
        backfills_search: false,
    },
    Migration::both(13, include_str!("migrations/0013_rate_limits.sql")),
    Migration::both(14, include_str!("migrations/0014_job_started.sql")),
];

/// The migrations of a SQLite store's log file (the tenant log, §10 of
/// docs/behaviour.md): the table migration 8 made in the store, which a
/// SQLite store moves out of its own file when it opens
/// ([`SqlStore::move_log_into_its_file`]). PostgreSQL keeps the log in the
/// store's database (it locks rows, not the database).
const LOG_FILE_MIGRATIONS: &[Migration] = &[Migration::both(
    1,
    include_str!("migrations/0008_tenant_logs.sql"),
)];

/// Root attributes a connection with "sync root attributes" off keeps from
/// the user's first login.
const FIRST_LOGIN_ATTRIBUTES: &[&str] =
    &["name", "nickname", "given_name", "family_name", "picture"];

/// Connections to a SQLite store. SQLite has one writer at a time, but a
/// single connection serializes every statement behind the previous
/// statement's task being polled again (its worker thread may be busy with a
/// signature or a script): logins held to ~1,400/s with a third of the CPU
/// idle. Several connections overlap that wait; their writes take turns on
/// SQLite's lock (WAL, `busy_timeout`). See also [`SqliteUpkeep`].
const SQLITE_CONNECTIONS: u32 = 4;

/// The store on a SQLite file or a PostgreSQL database.
#[derive(Clone)]
pub(crate) struct SqlStore {
    pub(super) pool: AnyPool,
    /// Seals the connections' settings and the signing keys.
    pub(super) key: Arc<SecretKey>,
    /// The tenant log's pool. A SQLite store keeps the log in a file of its
    /// own beside the store's ([`log_file_url`]), so that writing it never
    /// takes the users' write lock (SQLite has one writer per file): with
    /// one file, logins waited in SQLite's busy handler while the log
    /// writer held the lock. On PostgreSQL the store's pool.
    pub(super) logs: AnyPool,
    sqlite: bool,
    /// A SQLite store's upkeep, one per file, stopped with the last clone.
    upkeep: Arc<Vec<SqliteUpkeep>>,
    /// SQLite only: the users' writes take turns with a bulk import's
    /// batches here, not in SQLite's busy handler, which sleeps in steps of
    /// 1 to 100 ms and, with every connection asleep, stalled logins far
    /// longer than the batch held the lock (logins 30 % slower at a fifth
    /// of the store's time). A user write holds a shared turn; a batch the
    /// whole gate; the gate is fair, so neither starves.
    import_gate: Option<Arc<tokio::sync::RwLock<()>>>,
}

/// What each PostgreSQL connection of the store sets first.
///
/// **A plan for each execution.** A connection keeps the store's statements
/// prepared; after five executions PostgreSQL may plan one for any value
/// (a generic plan) and keep it for the connection's life. Planned while
/// `users` is small, every index looks alike: a login's update by
/// `(tenant_id, user_id)` was kept on `users_search_created_at`, bounded by
/// the tenant alone, and so read each of the tenant's users, every login,
/// once the table had grown (the 100,000-user import bench: logins 46 %
/// slower during the import, slower still after it). Only statistics that
/// change (an `ANALYZE`) replace such a plan, and a server without
/// autovacuum never takes them. Planned for each execution's values and the
/// table's current size instead, the statements cost about as much at
/// 1,000 users (flows bench) and keep their index as the table grows.
const POSTGRES_SESSION: &str = "SET plan_cache_mode = force_custom_plan";

/// A pool of connections to the store at `url` (a SQLite file, or
/// PostgreSQL).
async fn open_pool(url: &str, sqlite: bool) -> Result<AnyPool, sqlx::Error> {
    pool_options(sqlite).connect(url).await
}

/// The options of a store's pool: its size, and what each connection sets
/// first.
pub(super) fn pool_options(sqlite: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(if sqlite { SQLITE_CONNECTIONS } else { 16 })
        // A ping before every statement would double the round trips.
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    // WAL: readers never wait for the writer; a busy
                    // writer is waited for, not an error.
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                         PRAGMA journal_size_limit = 67108864;",
                    )
                    .execute(conn)
                    .await?;
                } else {
                    sqlx::raw_sql(POSTGRES_SESSION).execute(conn).await?;
                }
                Ok(())
            })
        })
}

/// The URL of a SQLite store's log file: the store's file name followed by
/// `-logs` (as SQLite's own `-wal` and `-shm` files are named), with the
/// same options.
pub(super) fn log_file_url(store_url: &str) -> String {
    match store_url.split_once('?') {
        Some((file, options)) => format!("{file}-logs?{options}"),
        None => format!("{store_url}-logs"),
    }
}

pub(crate) fn now() -> String {
    sqlx::types::chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

pub(super) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub(super) fn database(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// `e` as "exists" when it broke a unique constraint.
pub(super) fn exists_or(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Exists(what()),
        _ => database(e),
    }
}

pub(super) fn json_text(value: &impl serde::Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(e.to_string()))
}

fn json_object(text: &str) -> StoreResult<Map<String, Value>> {
    serde_json::from_str(text).map_err(|e| StoreError::Database(format!("stored JSON: {e}")))
}

/// Applies those of `migrations` not applied yet, in `tx`.
async fn migrate(
    tx: &mut Transaction<'_, Any>,
    sqlite: bool,
    migrations: &[Migration],
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS authbox_migrations \
         (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(&mut **tx)
    .await?;
    for migration in migrations {
        let version = &migration.version;
        let applied = sqlx::query("SELECT version FROM authbox_migrations WHERE version = $1")
            .bind(*version)
            .fetch_optional(&mut **tx)
            .await?;
        if applied.is_none() {
            let own = if sqlite {
                migration.sqlite
            } else {
                migration.postgres
            };
            for sql in [migration.both, own] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut **tx)
                    .await?;
            }
            if migration.backfills_search {
                search::backfill(tx).await?;
            }
            sqlx::query("INSERT INTO authbox_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(now())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

impl SqlStore {
    /// Opens (creating a SQLite file if needed) and migrates the store at
    /// `url`: `sqlite:PATH` or `postgres://...`, whose secrets are sealed
    /// under `key`. A store sealed under another key is refused, unchanged.
    pub(crate) async fn open(url: &str, key: SecretKey) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let shown = url
            .parse::<DataSourceUrl>()
            .map(|u| u.to_string())
            .unwrap_or_else(|_| "the given URL".into());
        let failed = |e: sqlx::Error| StoreError::Open {
            url: shown.clone(),
            reason: e.to_string(),
        };
        let sqlite = url.starts_with("sqlite:");
        if sqlite && (url.contains(":memory:") || url.contains("mode=memory")) {
            // Each of the pool's connections would have a database of its own.
            return Err(StoreError::Open {
                url: shown.clone(),
                reason: "an in-memory SQLite store is not supported: give a file path".into(),
            });
        }
        let url = if sqlite && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_string()
        };
        let pool = open_pool(&url, sqlite).await.map_err(failed)?;
        let mut upkeep = Vec::new();
        let logs = match sqlite {
            true => {
                let log_url = log_file_url(&url);
                let logs = open_pool(&log_url, true).await.map_err(failed)?;
                let mut tx = logs.begin_with("BEGIN IMMEDIATE").await.map_err(failed)?;
                migrate(&mut tx, true, LOG_FILE_MIGRATIONS)
                    .await
                    .map_err(failed)?;
                tx.commit().await.map_err(failed)?;
                upkeep.push(SqliteUpkeep::start(&url).await.map_err(failed)?);
                upkeep.push(SqliteUpkeep::start(&log_url).await.map_err(failed)?);
                logs
            }
            false => pool.clone(),
        };
        let store = SqlStore {
            pool,
            logs,
            key: Arc::new(key),
            sqlite,
            upkeep: Arc::new(upkeep),
            import_gate: sqlite.then(Arc::default),
        };
        let mut tx = store.begin_alone().await.map_err(failed)?;
        migrate(&mut tx, store.sqlite, MIGRATIONS)
            .await
            .map_err(failed)?;
        if let Err(e) = check_and_seal(&mut tx, &store.key).await {
            // Nothing the transaction did stays, migrations included.
            drop(tx);
            store.close().await;
            return Err(e);
        }
        tx.commit().await.map_err(failed)?;
        if sqlite && let Err(e) = store.move_log_into_its_file().await {
            store.close().await;
            return Err(StoreError::Open {
                url: shown,
                reason: format!("moving the tenant log into its own file: {e}"),
            });
        }
        Ok(store)
    }

    /// A transaction that has the store to itself: concurrent processes
    /// opening, migrating or rotating the key take turns. On SQLite the
    /// write lock is taken at once, so that another process waits its turn
    /// instead of failing at its first write; on PostgreSQL an advisory lock.
    pub(super) async fn begin_alone(&self) -> Result<Transaction<'_, Any>, sqlx::Error> {
        let mut tx = match self.sqlite {
            true => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            false => self.pool.begin().await?,
        };
        if !self.sqlite {
            sqlx::query("SELECT pg_advisory_xact_lock(7355608)")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// The tenant's connection whose `column` (`id` or `name`) is `key`.
    async fn one_connection(
        &self,
        column: &'static str,
        tenant_id: &str,
        key: &str,
    ) -> StoreResult<Connection> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM connections WHERE tenant_id = $1 AND {column} = $2"
        )))
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .ok_or_else(|| StoreError::NotFound(format!("connection `{key}`")))?;
        self.connection_row(&row)
    }

    /// The tenant whose `column` (`id` or `name`) is `key`.
    async fn one_tenant(&self, column: &'static str, key: &str) -> StoreResult<Tenant> {
        let query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM tenants WHERE {column} = $1"
        )))
        .bind(key);
        self.tenant_row(query, key).await
    }

    /// Runs the `DELETE` `query`; not found (named by `what`) if it
    /// deleted nothing.
    pub(super) async fn delete_one(
        &self,
        query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        what: impl FnOnce() -> String,
    ) -> StoreResult<()> {
        let deleted = query.execute(&self.pool).await.map_err(database)?;
        match deleted.rows_affected() {
            0 => Err(StoreError::NotFound(what())),
            _ => Ok(()),
        }
    }

    /// The tenant row `query` answers (selected or `RETURNING *`); `key`
    /// names it when there is none.
    async fn tenant_row(
        &self,
        query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        key: &str,
    ) -> StoreResult<Tenant> {
        let row = query
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?
            .ok_or_else(|| StoreError::NotFound(format!("tenant `{key}`")))?;
        tenant(&row).map_err(database)
    }

    /// Whether the store is a SQLite file (else PostgreSQL).
    pub(super) fn sqlite(&self) -> bool {
        self.sqlite
    }

    /// A user write's turn beside bulk imports (SQLite; none needed on
    /// PostgreSQL, which locks rows).
    pub(super) async fn user_write_turn(&self) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        match &self.import_gate {
            Some(gate) => Some(gate.read().await),
            None => None,
        }
    }

    /// A bulk import batch's turn: no user write runs beside it (SQLite).
    pub(super) async fn import_turn(&self) -> Option<tokio::sync::RwLockWriteGuard<'_, ()>> {
        match &self.import_gate {
            Some(gate) => Some(gate.write().await),
            None => None,
        }
    }

    /// Whether [`SqlStore::close`] was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    /// Closes the pools.
    pub(crate) async fn close(&self) {
        for upkeep in self.upkeep.iter() {
            upkeep.stop();
        }
        self.pool.close().await;
        self.logs.close().await;
    }
}

fn tenant(row: &AnyRow) -> Result<Tenant, sqlx::Error> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        default_connection: row.try_get("default_connection")?,
        calls_in_flight: row
            .try_get::<Option<i64>, _>("calls_in_flight")?
            .map(|n| n.clamp(0, i64::from(u32::MAX)) as u32),
    })
}

impl SqlStore {
    /// How `search` is to be written: as written on PostgreSQL; on SQLite,
    /// planned from how many users each of its parts matches
    /// ([`SearchPlan`]).
    pub(super) async fn search_plan(
        &self,
        tenant_id: &str,
        search: &UserSearch,
    ) -> StoreResult<SearchPlan> {
        let plan = search::plan_as_written(search);
        if !self.sqlite {
            return Ok(plan);
        }
        let Some(counts) = PartCounts::of(&plan) else {
            return Ok(plan);
        };
        let row = (counts.statement(tenant_id).fetch_one(&self.pool).await).map_err(database)?;
        let counts = counts.read(&row).map_err(database)?;
        Ok(plan.with_counts(&counts, search.sort))
    }

    /// A page of `search`'s users, written as `plan` says, with their
    /// total if asked.
    pub(super) async fn search_planned(
        &self,
        tenant_id: &str,
        search: &UserSearch,
        plan: &SearchPlan,
    ) -> StoreResult<(Vec<CachedUser>, Option<u64>)> {
        let statements = SearchStatements::new(search, plan, USER_COLUMNS, !self.sqlite);
        let users = statements
            .page(tenant_id)
            .fetch_all(&self.pool)
            .await
            .map_err(database)?
            .iter()
            .map(cached_user)
            .collect::<StoreResult<Vec<_>>>()?;
        if !search.include_totals {
            return Ok((users, None));
        }
        let total: i64 = statements
            .total(tenant_id)
            .fetch_one(&self.pool)
            .await
            .map_err(database)?
            .try_get("total")
            .map_err(database)?;
        Ok((users, Some(total.max(0) as u64)))
    }

    /// A connection's settings, sealed for its row.
    fn sealed_settings(
        &self,
        tenant_id: &str,
        connection_id: &str,
        settings: &ConnectionSettings,
    ) -> StoreResult<String> {
        let place = Place::ConnectionSettings {
            tenant_id,
            connection_id,
        };
        seal(&self.key, place, &json_text(settings)?)
    }

    /// The connection of a `connections` row, its settings unsealed.
    fn connection_row(&self, row: &AnyRow) -> StoreResult<Connection> {
        let id: String = row.try_get("id").map_err(database)?;
        let tenant_id: String = row.try_get("tenant_id").map_err(database)?;
        let sealed: String = row.try_get("settings").map_err(database)?;
        let place = Place::ConnectionSettings {
            tenant_id: &tenant_id,
            connection_id: &id,
        };
        let settings = unseal(&self.key, place, &sealed)?;
        Ok(Connection {
            settings: serde_json::from_str(&settings)
                .map_err(|e| StoreError::Database(format!("stored settings: {e}")))?,
            id,
            tenant_id,
            name: row.try_get("name").map_err(database)?,
            active_version: row.try_get("active_version").map_err(database)?,
            created_at: row.try_get("created_at").map_err(database)?,
            updated_at: row.try_get("updated_at").map_err(database)?,
        })
    }
}

fn script_version(row: &AnyRow, active: Option<i64>) -> StoreResult<ScriptVersion> {
    let actions: String = row.try_get("actions").map_err(database)?;
    let version: i64 = row.try_get("version").map_err(database)?;
    Ok(ScriptVersion {
        version,
        sha256: row.try_get("sha256").map_err(database)?,
        size_bytes: row.try_get("size_bytes").map_err(database)?,
        actions: serde_json::from_str(&actions)
            .map_err(|e| StoreError::Database(format!("stored actions: {e}")))?,
        created_at: row.try_get("created_at").map_err(database)?,
        active: active == Some(version),
    })
}

pub(super) fn cached_user(row: &AnyRow) -> StoreResult<CachedUser> {
    let get_text = |column: &str| row.try_get::<String, _>(column).map_err(database);
    let get_opt = |column: &str| row.try_get::<Option<String>, _>(column).map_err(database);
    Ok(CachedUser {
        user_id: get_text("user_id")?,
        connection_id: get_text("connection_id")?,
        attributes: json_object(&get_text("profile")?)?,
        user_metadata: json_object(&get_text("user_metadata")?)?,
        app_metadata: json_object(&get_text("app_metadata")?)?,
        blocked: row.try_get::<i64, _>("blocked").map_err(database)? != 0,
        created_at: get_text("created_at")?,
        updated_at: get_text("updated_at")?,
        last_login: get_opt("last_login")?,
        last_ip: get_opt("last_ip")?,
        logins_count: row.try_get("logins_count").map_err(database)?,
        last_password_reset: get_opt("last_password_reset")?,
        migrated: row.try_get::<i64, _>("migrated").map_err(database)? != 0,
        migrated_at: get_opt("migrated_at")?,
        revision: row.try_get("revision").map_err(database)?,
    })
}

/// The script-sourced root attributes of a normalized profile: all but the
/// id and the metadata, which the cache keeps apart.
pub(super) fn script_attributes(
    profile: &crate::runtime::profile::NormalizedProfile,
) -> StoreResult<Map<String, Value>> {
    let Value::Object(mut attributes) =
        serde_json::to_value(profile).map_err(|e| StoreError::Database(e.to_string()))?
    else {
        return Err(StoreError::Database("a profile is a JSON object".into()));
    };
    for key in ["user_id", "user_metadata", "app_metadata"] {
        attributes.remove(key);
    }
    Ok(attributes)
}

/// The `SET` list of an `UPDATE` being written, with its bound values
/// (`$1` onwards).
#[derive(Default)]
struct Assignments {
    sql: Vec<String>,
    binds: Vec<Bind>,
}

impl Assignments {
    fn assign(&mut self, column: &str, value: Bind) {
        self.binds.push(value);
        self.sql.push(format!("{column} = ${}", self.binds.len()));
    }
}

pub(super) const USER_COLUMNS: &str = "user_id, connection_id, profile, user_metadata, app_metadata, \
    blocked, created_at, updated_at, last_login, last_ip, logins_count, last_password_reset, \
    migrated, migrated_at, revision";

#[async_trait]
impl Store for SqlStore {
    async fn create_tenant(&self, name: &str) -> StoreResult<Tenant> {
        let row = sqlx::query(
            "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) \
             RETURNING id, name, created_at, default_connection, calls_in_flight",
        )
        .bind(new_id("ten"))
        .bind(name)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| exists_or(e, || format!("tenant `{name}`")))?;
        tenant(&row).map_err(database)
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Tenant> {
        self.one_tenant("name", name).await
    }

    async fn tenant(&self, tenant_id: &str) -> StoreResult<Tenant> {
        self.one_tenant("id", tenant_id).await
    }

    async fn set_default_connection(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
    ) -> StoreResult<Tenant> {
        let query =
            sqlx::query("UPDATE tenants SET default_connection = $1 WHERE id = $2 RETURNING *")
                .bind(connection)
                .bind(tenant_id);
        self.tenant_row(query, tenant_id).await
    }

    async fn set_tenant_calls(
        &self,
        tenant_id: &str,
        calls_in_flight: Option<u32>,
    ) -> StoreResult<Tenant> {
        let query =
            sqlx::query("UPDATE tenants SET calls_in_flight = $1 WHERE id = $2 RETURNING *")
                .bind(calls_in_flight.map(i64::from))
                .bind(tenant_id);
        self.tenant_row(query, tenant_id).await
    }

    async fn create_connection(
        &self,
        tenant_id: &str,
        name: &str,
        settings: &ConnectionSettings,
    ) -> StoreResult<Connection> {
        let at = now();
        let id = new_id("con");
        let row = sqlx::query(
            "INSERT INTO connections (id, tenant_id, name, settings, active_version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, NULL, $5, $5) RETURNING *",
        )
        .bind(&id)
        .bind(tenant_id)
        .bind(name)
        .bind(self.sealed_settings(tenant_id, &id, settings)?)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| exists_or(e, || format!("connection `{name}`")))?;
        self.connection_row(&row)
    }

    async fn connections(&self, tenant_id: &str) -> StoreResult<Vec<Connection>> {
        sqlx::query("SELECT * FROM connections WHERE tenant_id = $1 ORDER BY name")
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await
            .map_err(database)?
            .iter()
            .map(|row| self.connection_row(row))
            .collect()
    }

    async fn connection(&self, tenant_id: &str, connection_id: &str) -> StoreResult<Connection> {
        self.one_connection("id", tenant_id, connection_id).await
    }

    async fn connection_by_name(&self, tenant_id: &str, name: &str) -> StoreResult<Connection> {
        self.one_connection("name", tenant_id, name).await
    }

    async fn update_connection(
        &self,
        tenant_id: &str,
        connection_id: &str,
        settings: &ConnectionSettings,
    ) -> StoreResult<Connection> {
        let row = sqlx::query(
            "UPDATE connections SET settings = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 RETURNING *",
        )
        .bind(self.sealed_settings(tenant_id, connection_id, settings)?)
        .bind(now())
        .bind(tenant_id)
        .bind(connection_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .ok_or_else(|| StoreError::NotFound(format!("connection `{connection_id}`")))?;
        self.connection_row(&row)
    }

    async fn delete_connection(&self, tenant_id: &str, connection_id: &str) -> StoreResult<()> {
        // Its users go by the foreign key; their search terms with them,
        // by the store's trigger.
        let connection = sqlx::query("DELETE FROM connections WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(connection_id);
        self.delete_one(connection, || format!("connection `{connection_id}`"))
            .await
    }

    async fn add_script(
        &self,
        connection_id: &str,
        wasm: &[u8],
        sha256: &str,
        actions: &[String],
    ) -> StoreResult<ScriptVersion> {
        // Two uploads at once: the second's version collides and retries.
        for _ in 0..8 {
            let inserted = sqlx::query(
                "INSERT INTO scripts (connection_id, version, sha256, size_bytes, actions, wasm, created_at) \
                 SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6 FROM scripts WHERE connection_id = $1 \
                 RETURNING version, sha256, size_bytes, actions, created_at",
            )
            .bind(connection_id)
            .bind(sha256)
            .bind(wasm.len() as i64)
            .bind(json_text(&actions)?)
            .bind(wasm)
            .bind(now())
            .fetch_one(&self.pool)
            .await;
            match inserted {
                Ok(row) => return script_version(&row, None),
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                    return Err(StoreError::NotFound(format!(
                        "connection `{connection_id}`"
                    )));
                }
                Err(e) => return Err(database(e)),
            }
        }
        Err(StoreError::Database(
            "too many concurrent script uploads".into(),
        ))
    }

    async fn scripts(&self, connection_id: &str) -> StoreResult<Vec<ScriptVersion>> {
        let active: Option<i64> =
            sqlx::query("SELECT active_version FROM connections WHERE id = $1")
                .bind(connection_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(database)?
                .ok_or_else(|| StoreError::NotFound(format!("connection `{connection_id}`")))?
                .try_get("active_version")
                .map_err(database)?;
        sqlx::query(
            "SELECT version, sha256, size_bytes, actions, created_at FROM scripts \
             WHERE connection_id = $1 ORDER BY version",
        )
        .bind(connection_id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(|row| script_version(row, active))
        .collect()
    }

    async fn activate_script(&self, connection_id: &str, version: i64) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE connections SET active_version = $1, updated_at = $2 WHERE id = $3 \
             AND EXISTS (SELECT 1 FROM scripts WHERE connection_id = $3 AND version = $1)",
        )
        .bind(version)
        .bind(now())
        .bind(connection_id)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        match updated.rows_affected() {
            0 => Err(StoreError::NotFound(format!(
                "script version {version} of connection `{connection_id}`"
            ))),
            _ => Ok(()),
        }
    }

    async fn active_script(&self, connection_id: &str) -> StoreResult<(ScriptVersion, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT s.version, s.sha256, s.size_bytes, s.actions, s.created_at, s.wasm \
             FROM connections c JOIN scripts s \
             ON s.connection_id = c.id AND s.version = c.active_version WHERE c.id = $1",
        )
        .bind(connection_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .ok_or_else(|| {
            StoreError::NotFound(format!("an active script of connection `{connection_id}`"))
        })?;
        let version = script_version(&row, None)?;
        let wasm: Vec<u8> = row.try_get("wasm").map_err(database)?;
        Ok((
            ScriptVersion {
                active: true,
                ..version
            },
            wasm,
        ))
    }

    async fn record_login(&self, login: LoginRecord<'_>) -> StoreResult<CachedUser> {
        let _turn = self.user_write_turn().await;
        let profile = login.profile;
        let returned = script_attributes(profile)?;
        let email_key = profile.email.as_deref().map(str::to_lowercase);
        let at = now();
        loop {
            // With "sync root attributes" on (the default) nothing of the
            // cached row is needed: a login is one statement. Off, the
            // first-login attributes are read and the write is conditional.
            let mut attributes = returned.clone();
            let mut expected_revision = None;
            if !login.sync_root_attributes {
                match self.user(login.tenant_id, &profile.user_id).await {
                    Ok(user) => {
                        for key in FIRST_LOGIN_ATTRIBUTES {
                            match user.attributes.get(*key) {
                                Some(kept) => attributes.insert(key.to_string(), kept.clone()),
                                None => attributes.remove(*key),
                            };
                        }
                        expected_revision = Some(user.revision);
                    }
                    Err(StoreError::NotFound(_)) => {}
                    Err(other) => return Err(other),
                }
            }
            // A refresh that changes nothing of the profile (the common
            // login) assigns none of its indexed columns: SQLite rewrites
            // the index entries of every column assigned, even to its value.
            let profile_text = json_text(&attributes)?;
            let refreshed = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE users SET updated_at = $1, last_login = COALESCE($2, last_login), \
                 last_ip = COALESCE($3, last_ip), logins_count = logins_count + $4, \
                 revision = revision + 1 \
                 WHERE tenant_id = $5 AND user_id = $6 AND ($7 IS NULL OR revision = $7) \
                 AND connection_id = $8 AND profile = $9 RETURNING {USER_COLUMNS}"
            )))
            .bind(&at)
            .bind(login.is_login.then_some(&at))
            .bind(login.ip)
            .bind(i64::from(login.is_login))
            .bind(login.tenant_id)
            .bind(&profile.user_id)
            .bind(expected_revision)
            .bind(login.connection_id)
            .bind(&profile_text)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?;
            if let Some(row) = refreshed {
                return cached_user(&row);
            }
            // Metadata is the Management API's after the first login: untouched.
            let keys = RootKeys::of(&attributes);
            let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE users SET connection_id = $1, email = $2, email_key = $3, username = $4, \
                 profile = $5, updated_at = $6, last_login = COALESCE($11, last_login), \
                 last_ip = COALESCE($7, last_ip), logins_count = logins_count + $12, \
                 name_key = $13, nickname_key = $14, given_name_key = $15, \
                 family_name_key = $16, email_verified = $17, revision = revision + 1 \
                 WHERE tenant_id = $8 AND user_id = $9 AND ($10 IS NULL OR revision = $10) \
                 RETURNING {USER_COLUMNS}"
            )))
            .bind(login.connection_id)
            .bind(profile.email.as_deref())
            .bind(email_key.as_deref())
            .bind(profile.username.as_deref())
            .bind(&profile_text)
            .bind(&at)
            .bind(login.ip)
            .bind(login.tenant_id)
            .bind(&profile.user_id)
            .bind(expected_revision)
            .bind(login.is_login.then_some(&at))
            .bind(i64::from(login.is_login))
            .bind_keys(&keys)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?;
            if let Some(row) = updated {
                return cached_user(&row);
            }
            if expected_revision.is_some() {
                continue; // Another write came between the read and ours.
            }
            if !login.is_login {
                return Err(StoreError::NotFound(format!("user `{}`", profile.user_id)));
            }
            // First login: the script's metadata seeds the cache (and its
            // search terms, by the store's triggers).
            let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO users (tenant_id, user_id, connection_id, email, email_key, username, \
                 profile, user_metadata, app_metadata, blocked, created_at, updated_at, last_login, \
                 last_ip, logins_count, migrated, revision, app_metadata_terms, \
                 user_metadata_terms, name_key, nickname_key, given_name_key, family_name_key, \
                 email_verified) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10, $10, $11, 1, 0, 1, \
                 $12, $13, $14, $15, $16, $17, $18) \
                 ON CONFLICT (tenant_id, user_id) DO NOTHING RETURNING {USER_COLUMNS}"
            )))
            .bind(login.tenant_id)
            .bind(&profile.user_id)
            .bind(login.connection_id)
            .bind(profile.email.as_deref())
            .bind(email_key.as_deref())
            .bind(profile.username.as_deref())
            .bind(&profile_text)
            .bind(json_text(&profile.user_metadata)?)
            .bind(json_text(&profile.app_metadata)?)
            .bind(&at)
            .bind(login.ip)
            .bind(terms_column("app_metadata", &profile.app_metadata))
            .bind(terms_column("user_metadata", &profile.user_metadata))
            .bind_keys(&keys)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?;
            if let Some(row) = inserted {
                return cached_user(&row);
            }
            // A concurrent first login inserted it: now it is an update.
        }
    }

    async fn record_migration(&self, migration: MigrationRecord<'_>) -> StoreResult<CachedUser> {
        let _turn = self.user_write_turn().await;
        let profile = migration.profile;
        let at = now();
        let login = migration.reason == MigrationReason::Login;
        let reset = migration.reason == MigrationReason::PasswordReset;
        // A user cached before import mode was on keeps its metadata, block
        // and counters; one already migrated is left alone.
        let attributes = script_attributes(profile)?;
        let keys = RootKeys::of(&attributes);
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users (tenant_id, user_id, connection_id, email, email_key, username, \
             profile, user_metadata, app_metadata, blocked, created_at, updated_at, last_login, \
             last_ip, logins_count, migrated, migrated_at, password_hash, last_password_reset, \
             revision, app_metadata_terms, user_metadata_terms, name_key, nickname_key, \
             given_name_key, family_name_key, email_verified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10, $11, $12, $13, 1, $10, $14, $15, 1, \
             $16, $17, $18, $19, $20, $21, $22) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET connection_id = excluded.connection_id, \
             email = excluded.email, email_key = excluded.email_key, username = excluded.username, \
             profile = excluded.profile, updated_at = excluded.updated_at, \
             name_key = excluded.name_key, nickname_key = excluded.nickname_key, \
             given_name_key = excluded.given_name_key, family_name_key = excluded.family_name_key, \
             email_verified = excluded.email_verified, \
             last_login = COALESCE(excluded.last_login, users.last_login), \
             last_ip = COALESCE(excluded.last_ip, users.last_ip), \
             logins_count = users.logins_count + excluded.logins_count, migrated = 1, \
             migrated_at = excluded.migrated_at, password_hash = excluded.password_hash, \
             last_password_reset = COALESCE(excluded.last_password_reset, users.last_password_reset), \
             revision = users.revision + 1 \
             WHERE users.migrated = 0 RETURNING {USER_COLUMNS}"
        )))
        .bind(migration.tenant_id)
        .bind(&profile.user_id)
        .bind(migration.connection_id)
        .bind(profile.email.as_deref())
        .bind(profile.email.as_deref().map(str::to_lowercase))
        .bind(profile.username.as_deref())
        .bind(json_text(&attributes)?)
        .bind(json_text(&profile.user_metadata)?)
        .bind(json_text(&profile.app_metadata)?)
        .bind(&at)
        .bind(login.then_some(&at))
        .bind(migration.ip)
        .bind(i64::from(login))
        .bind(migration.password_hash)
        .bind(reset.then_some(&at))
        .bind(terms_column("app_metadata", &profile.app_metadata))
        .bind(terms_column("user_metadata", &profile.user_metadata))
        .bind_keys(&keys)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .ok_or_else(|| StoreError::Exists(format!("migrated user `{}`", profile.user_id)))?;
        cached_user(&row)
    }

    async fn count_login(
        &self,
        tenant_id: &str,
        user_id: &str,
        ip: Option<&str>,
    ) -> StoreResult<CachedUser> {
        let _turn = self.user_write_turn().await;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET logins_count = logins_count + 1, last_login = $1, updated_at = $1, \
             last_ip = COALESCE($2, last_ip), revision = revision + 1 \
             WHERE tenant_id = $3 AND user_id = $4 RETURNING {USER_COLUMNS}"
        )))
        .bind(now())
        .bind(ip)
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .ok_or_else(|| StoreError::NotFound(format!("user `{user_id}`")))?;
        cached_user(&row)
    }

    async fn credentials(
        &self,
        tenant_id: &str,
        connection_id: &str,
        key: &str,
    ) -> StoreResult<Option<StoredCredentials>> {
        let row = sqlx::query(
            "SELECT user_id, migrated, password_hash FROM users \
             WHERE tenant_id = $1 AND connection_id = $2 AND (email_key = $3 OR username = $4) \
             ORDER BY CASE WHEN email_key = $3 THEN 0 ELSE 1 END LIMIT 1",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .bind(key.to_lowercase())
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        row.map(|row| {
            Ok(StoredCredentials {
                user_id: row.try_get("user_id").map_err(database)?,
                migrated: row.try_get::<i64, _>("migrated").map_err(database)? != 0,
                password_hash: row.try_get("password_hash").map_err(database)?,
            })
        })
        .transpose()
    }

    async fn user(&self, tenant_id: &str, user_id: &str) -> StoreResult<CachedUser> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND user_id = $2"
        )))
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .ok_or_else(|| StoreError::NotFound(format!("user `{user_id}`")))?;
        cached_user(&row)
    }

    async fn users_by_email(&self, tenant_id: &str, email: &str) -> StoreResult<Vec<CachedUser>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND email_key = $2 ORDER BY user_id"
        )))
        .bind(tenant_id)
        .bind(email.to_lowercase())
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(cached_user)
        .collect()
    }

    async fn search_users(
        &self,
        tenant_id: &str,
        search: &UserSearch,
    ) -> StoreResult<(Vec<CachedUser>, Option<u64>)> {
        let plan = self.search_plan(tenant_id, search).await?;
        self.search_planned(tenant_id, search, &plan).await
    }

    async fn delete_user(&self, tenant_id: &str, user_id: &str) -> StoreResult<()> {
        // Its search terms go with it, by the store's trigger.
        let user = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant_id)
            .bind(user_id);
        self.delete_one(user, || format!("user `{user_id}`")).await
    }

    async fn update_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        revision: i64,
        changes: &UserChanges,
    ) -> StoreResult<Option<CachedUser>> {
        let _turn = self.user_write_turn().await;
        // Only the columns that change are assigned: SQLite rewrites the
        // index entries of every column assigned, even to its value.
        let mut set = Assignments::default();
        for (root, object) in [
            ("user_metadata", &changes.user_metadata),
            ("app_metadata", &changes.app_metadata),
        ] {
            if let Some(object) = object {
                set.assign(root, Bind::Text(json_text(object)?));
                set.assign(
                    &format!("{root}_terms"),
                    Bind::Text(terms_column(root, object)),
                );
            }
        }
        if let Some(blocked) = changes.blocked {
            set.assign("blocked", Bind::Int(i64::from(blocked)));
        }
        if let Some(attributes) = &changes.attributes {
            let text = |key: &str| attributes.get(key).and_then(Value::as_str);
            let email = text("email");
            let keys = RootKeys::of(attributes);
            set.assign("profile", Bind::Text(json_text(attributes)?));
            set.assign("email", Bind::MaybeText(email.map(str::to_owned)));
            set.assign("email_key", Bind::MaybeText(email.map(str::to_lowercase)));
            set.assign(
                "username",
                Bind::MaybeText(text("username").map(str::to_owned)),
            );
            set.assign("name_key", Bind::MaybeText(keys.name));
            set.assign("nickname_key", Bind::MaybeText(keys.nickname));
            set.assign("given_name_key", Bind::MaybeText(keys.given_name));
            set.assign("family_name_key", Bind::MaybeText(keys.family_name));
            set.assign("email_verified", Bind::MaybeInt(keys.email_verified));
        }
        if let Some(at) = &changes.last_password_reset {
            set.assign("last_password_reset", Bind::Text(at.clone()));
        }
        if let Some(hash) = &changes.password_hash {
            set.assign("password_hash", Bind::Text(hash.clone()));
        }
        set.assign("updated_at", Bind::Text(now()));
        let n = set.binds.len();
        let statement = format!(
            "UPDATE users SET {}, revision = revision + 1 \
             WHERE tenant_id = ${} AND user_id = ${} AND revision = ${} RETURNING {USER_COLUMNS}",
            set.sql.join(", "),
            n + 1,
            n + 2,
            n + 3,
        );
        bind_values(sqlx::query(sqlx::AssertSqlSafe(statement)), &set.binds)
            .bind(tenant_id)
            .bind(user_id)
            .bind(revision)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?
            .as_ref()
            .map(cached_user)
            .transpose()
    }
}
