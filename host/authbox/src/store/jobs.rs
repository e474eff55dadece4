//! Bulk user jobs in the SQL store: made with a cap of unfinished jobs per
//! tenant, claimed by one worker at a time (taken over when its worker
//! stops beating), imported batch by batch (each batch, its errors and the
//! job's checkpoint in one transaction) or exported page by page (the file
//! stored as the job ends), finished, and swept once old.

use std::time::SystemTime;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use sqlx::types::chrono::{DateTime, Utc};

use super::records::CachedUser;
use super::search::{BindKeys, RootKeys, terms_column};
use super::sql::{
    SqlStore, USER_COLUMNS, cached_user, database, json_text, now, script_attributes,
};
use super::{StoreError, StoreResult};
use crate::jobs::{FieldError, ImportedUser};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Imports a users file into a connection.
    UsersImport,
    /// Exports the cached users of a connection, or of the tenant, to a file.
    UsersExport,
}

impl JobKind {
    /// Auth0's name: `users_import` or `users_export`.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::UsersImport => "users_import",
            JobKind::UsersExport => "users_export",
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for a worker.
    Pending,
    /// A worker is on it.
    Processing,
    /// Done; its users are imported or refused (see the errors).
    Completed,
    /// Stopped: the file could not be read, or the connection is gone.
    Failed,
}

impl JobStatus {
    /// Auth0's name.
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(name: &str) -> StoreResult<Self> {
        Ok(match name {
            "pending" => JobStatus::Pending,
            "processing" => JobStatus::Processing,
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            other => {
                return Err(StoreError::Database(format!(
                    "unknown job status `{other}`"
                )));
            }
        })
    }
}

/// A job and its progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// `job_` and 24 hex digits.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// The connection its users are in; none for an export of the
    /// tenant's every connection.
    pub connection_id: Option<String>,
    /// What it does.
    pub kind: JobKind,
    /// Where it is.
    pub status: JobStatus,
    /// What it was asked with (`upsert`, `external_id`; `format`, `limit`,
    /// `fields`), as JSON.
    pub options: Value,
    /// Users in the file; for an export, the users there were to export
    /// when it was made.
    pub total: i64,
    /// Users handled so far (imported or refused; exported).
    pub done: i64,
    /// Users added.
    pub inserted: i64,
    /// Users updated (upsert).
    pub updated: i64,
    /// Users refused.
    pub failed: i64,
    /// Why it failed, if it did.
    pub status_details: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When it completed or failed.
    pub finished_at: Option<String>,
    /// When the worker that holds it (or last held it) claimed it.
    pub started_at: Option<String>,
    /// Users done when that worker claimed it.
    pub started_done: i64,
}

impl Job {
    /// A new job, pending, made now.
    pub fn pending(
        id: String,
        tenant_id: &str,
        connection_id: Option<&str>,
        kind: JobKind,
        options: Value,
        total: i64,
    ) -> Job {
        Job {
            id,
            tenant_id: tenant_id.into(),
            connection_id: connection_id.map(str::to_string),
            kind,
            status: JobStatus::Pending,
            options,
            total,
            done: 0,
            inserted: 0,
            updated: 0,
            failed: 0,
            status_details: None,
            created_at: now(),
            finished_at: None,
            started_at: None,
            started_done: 0,
        }
    }

    /// Seconds it should still take while processing, at the pace of its
    /// worker since it claimed it; none before it has done a user.
    pub fn time_left_seconds(&self, now: SystemTime) -> Option<i64> {
        if self.status != JobStatus::Processing {
            return None;
        }
        let now = DateTime::<Utc>::from(now);
        let started: DateTime<Utc> = self.started_at.as_deref()?.parse().ok()?;
        let done = self.done - self.started_done;
        if done <= 0 {
            return None;
        }
        let elapsed_ms = (now - started).num_milliseconds().max(0);
        let left = (self.total - self.done).max(0);
        let left_ms = i128::from(elapsed_ms) * i128::from(left) / i128::from(done);
        i64::try_from((left_ms + 999) / 1000).ok()
    }
}

/// A user a job refused.
#[derive(Debug, Clone, PartialEq)]
pub struct JobError {
    /// Its place in the file, from 0.
    pub position: i64,
    /// The user as the file gave it, without its password hash.
    pub user: Value,
    /// What is wrong.
    pub errors: Vec<FieldError>,
}

/// One user of a batch: checked, or refused already.
#[derive(Debug, Clone)]
pub enum BatchUser {
    /// To import; and the user to show if it is refused.
    Valid(Box<ImportedUser>, Value),
    /// Refused, with the user to show.
    Invalid(Value, Vec<FieldError>),
}

/// How a batch went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Users added.
    pub inserted: i64,
    /// Users updated.
    pub updated: i64,
    /// Users refused.
    pub failed: i64,
}

/// The store of jobs.
#[async_trait]
pub(crate) trait JobStore: Send + Sync {
    /// Keeps a new job with its file, unless its tenant has
    /// `max_open_per_tenant` jobs not finished (then `false`).
    async fn insert_job(
        &self,
        job: &Job,
        input: &[u8],
        max_open_per_tenant: i64,
    ) -> StoreResult<bool>;
    /// A job of the tenant.
    async fn job(&self, tenant_id: &str, job_id: &str) -> StoreResult<Job>;
    /// The users a job refused, in the file's order, at most `limit`.
    async fn job_errors(
        &self,
        tenant_id: &str,
        job_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<JobError>>;
    /// Claims for `worker` the oldest job waiting, or one whose worker
    /// last beat before `stale_before`; answers it with its file.
    async fn claim_job(
        &self,
        worker: &str,
        stale_before: &str,
    ) -> StoreResult<Option<(Job, Vec<u8>)>>;
    /// Imports a batch of users starting at `position` of the file, with
    /// the job's checkpoint, in one transaction; `None` (nothing written)
    /// if `worker` no longer holds the job. At most `max_errors` refused
    /// users are kept per job (more are counted).
    async fn import_batch(
        &self,
        job: &Job,
        worker: &str,
        position: i64,
        users: &[BatchUser],
        max_errors: i64,
    ) -> StoreResult<Option<BatchOutcome>>;
    /// The next users of an export, after `after` (by `user_id`), at most
    /// `limit`, with the job's progress (`done`) written as a heartbeat;
    /// `None` if `worker` no longer holds the job.
    async fn export_page(
        &self,
        job: &Job,
        worker: &str,
        done: i64,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<CachedUser>>>;
    /// Has the database take the users' statistics again after a bulk
    /// write (PostgreSQL's `ANALYZE`; nothing on SQLite, which plans without
    /// them, see `SqliteUpkeep`).
    async fn analyze_users(&self) -> StoreResult<()>;
    /// Users of the tenant, or of one of its connections.
    async fn count_users(&self, tenant_id: &str, connection_id: Option<&str>) -> StoreResult<i64>;
    /// Ends a job that `worker` holds, keeping `output` (an export's file);
    /// drops its input.
    async fn finish_job(
        &self,
        job_id: &str,
        worker: &str,
        status: JobStatus,
        details: Option<&str>,
        output: Option<&[u8]>,
    ) -> StoreResult<()>;
    /// A job and the file it wrote, by the job's id alone (its download
    /// link was checked).
    async fn job_output(&self, job_id: &str) -> StoreResult<(Job, Vec<u8>)>;
    /// The MAC of an export's download link, under the deployment's key.
    fn link_mac(&self, link: &str) -> [u8; 32];
    /// Deletes jobs that finished before `before`, and exports that
    /// finished before `exports_before`, with their errors and files.
    async fn sweep_jobs(&self, before: &str, exports_before: &str) -> StoreResult<u64>;
}

const COLUMNS: &str = "id, tenant_id, connection_id, kind, status, options, total_users, \
    done_users, inserted, updated, failed, status_details, created_at, finished_at, started_at, \
    started_done";

fn job(row: &AnyRow) -> StoreResult<Job> {
    let text = |column: &str| row.try_get::<String, _>(column).map_err(database);
    let number = |column: &str| row.try_get::<i64, _>(column).map_err(database);
    let kind = match text("kind")?.as_str() {
        "users_import" => JobKind::UsersImport,
        "users_export" => JobKind::UsersExport,
        other => return Err(StoreError::Database(format!("unknown job kind `{other}`"))),
    };
    Ok(Job {
        id: text("id")?,
        tenant_id: text("tenant_id")?,
        connection_id: row.try_get("connection_id").map_err(database)?,
        kind,
        status: JobStatus::parse(&text("status")?)?,
        options: serde_json::from_str(&text("options")?)
            .map_err(|e| StoreError::Database(e.to_string()))?,
        total: number("total_users")?,
        done: number("done_users")?,
        inserted: number("inserted")?,
        updated: number("updated")?,
        failed: number("failed")?,
        status_details: row.try_get("status_details").map_err(database)?,
        created_at: text("created_at")?,
        finished_at: row.try_get("finished_at").map_err(database)?,
        started_at: row.try_get("started_at").map_err(database)?,
        started_done: number("started_done")?,
    })
}

/// What becomes of one valid user.
enum Written {
    Inserted,
    Updated,
    Refused(FieldError),
}

/// Writes one user of an import in `tx`: new, updated (upsert), or
/// refused as a duplicate or a conflict.
async fn write_user(
    tx: &mut sqlx::AnyConnection,
    job: &Job,
    connection_id: &str,
    user: &ImportedUser,
    upsert: bool,
) -> StoreResult<Written> {
    let profile = &user.profile;
    let email_key = profile.email.as_deref().map(str::to_lowercase);
    // Two indexed lookups (an `OR` of the two would scan the table).
    let existing = sqlx::query(
        "SELECT user_id, connection_id FROM users WHERE tenant_id = $1 AND user_id = $2 \
         UNION SELECT user_id, connection_id FROM users WHERE connection_id = $3 AND email_key = $4 \
         LIMIT 2",
    )
    .bind(&job.tenant_id)
    .bind(&profile.user_id)
    .bind(connection_id)
    .bind(email_key.as_deref())
    .fetch_all(&mut *tx)
    .await
    .map_err(database)?;
    let attributes = script_attributes(profile)?;
    let keys = RootKeys::of(&attributes);
    let at = now();
    let Some(found) = existing.first() else {
        sqlx::query(
            "INSERT INTO users (tenant_id, user_id, connection_id, email, email_key, username, \
             profile, user_metadata, app_metadata, blocked, created_at, updated_at, logins_count, \
             migrated, migrated_at, password_hash, revision, app_metadata_terms, \
             user_metadata_terms, name_key, nickname_key, given_name_key, family_name_key, \
             email_verified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 0, 1, $11, $12, 1, $13, $14, \
             $15, $16, $17, $18, $19)",
        )
        .bind(&job.tenant_id)
        .bind(&profile.user_id)
        .bind(connection_id)
        .bind(profile.email.as_deref())
        .bind(email_key.as_deref())
        .bind(profile.username.as_deref())
        .bind(json_text(&attributes)?)
        .bind(json_text(&profile.user_metadata)?)
        .bind(json_text(&profile.app_metadata)?)
        .bind(i64::from(user.blocked.unwrap_or(false)))
        .bind(&at)
        .bind(user.password_hash.as_deref())
        .bind(terms_column("app_metadata", &profile.app_metadata))
        .bind(terms_column("user_metadata", &profile.user_metadata))
        .bind_keys(&keys)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
        return Ok(Written::Inserted);
    };
    let found_id: String = found.try_get("user_id").map_err(database)?;
    let found_connection: String = found.try_get("connection_id").map_err(database)?;
    if existing.len() > 1 || found_connection != connection_id {
        return Ok(Written::Refused(FieldError::new(
            "CONFLICT",
            "user_id",
            format!(
                "user `{}` is another user of the tenant than `{}`'s",
                profile.user_id,
                profile.email.as_deref().unwrap_or("")
            ),
        )));
    }
    if !upsert {
        return Ok(Written::Refused(FieldError::new(
            "DUPLICATED_USER",
            "",
            "The user already exists and upsert is false",
        )));
    }
    // Upsert: the file's attributes replace the cached ones; metadata,
    // `blocked` and the hash only where the file gives them. The user's
    // id stays (the file may have matched it by email).
    let metadata = |given: bool, object: &serde_json::Map<String, Value>, root: &str| {
        Ok::<_, StoreError>(if given {
            (Some(json_text(object)?), Some(terms_column(root, object)))
        } else {
            (None, None)
        })
    };
    let (user_metadata, user_terms) = metadata(
        user.has_user_metadata,
        &profile.user_metadata,
        "user_metadata",
    )?;
    let (app_metadata, app_terms) =
        metadata(user.has_app_metadata, &profile.app_metadata, "app_metadata")?;
    sqlx::query(
        "UPDATE users SET email = $1, email_key = $2, username = $3, profile = $4, \
         user_metadata = COALESCE($5, user_metadata), \
         user_metadata_terms = COALESCE($6, user_metadata_terms), \
         app_metadata = COALESCE($7, app_metadata), \
         app_metadata_terms = COALESCE($8, app_metadata_terms), \
         blocked = COALESCE($9, blocked), password_hash = COALESCE($10, password_hash), \
         migrated = 1, migrated_at = COALESCE(migrated_at, $11), updated_at = $11, \
         revision = revision + 1, name_key = $12, nickname_key = $13, given_name_key = $14, \
         family_name_key = $15, email_verified = $16 \
         WHERE tenant_id = $17 AND user_id = $18",
    )
    .bind(profile.email.as_deref())
    .bind(email_key.as_deref())
    .bind(profile.username.as_deref())
    .bind(json_text(&attributes)?)
    .bind(user_metadata)
    .bind(user_terms)
    .bind(app_metadata)
    .bind(app_terms)
    .bind(user.blocked.map(i64::from))
    .bind(user.password_hash.as_deref())
    .bind(&at)
    .bind_keys(&keys)
    .bind(&job.tenant_id)
    .bind(&found_id)
    .execute(&mut *tx)
    .await
    .map_err(database)?;
    Ok(Written::Updated)
}

#[async_trait]
impl JobStore for SqlStore {
    async fn insert_job(
        &self,
        job: &Job,
        input: &[u8],
        max_open_per_tenant: i64,
    ) -> StoreResult<bool> {
        // As for tickets: concurrent requests may pass the cap by a few.
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE tenant_id = $1 AND status IN ('pending', 'processing')",
        )
        .bind(&job.tenant_id)
        .fetch_one(&self.pool)
        .await
        .map_err(database)?;
        if open >= max_open_per_tenant {
            return Ok(false);
        }
        let mut tx = self.pool.begin().await.map_err(database)?;
        sqlx::query(
            "INSERT INTO jobs (id, tenant_id, connection_id, kind, status, options, \
             total_users, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&job.id)
        .bind(&job.tenant_id)
        .bind(&job.connection_id)
        .bind(job.kind.name())
        .bind(job.status.name())
        .bind(job.options.to_string())
        .bind(job.total)
        .bind(&job.created_at)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
        sqlx::query("INSERT INTO job_inputs (job_id, input) VALUES ($1, $2)")
            .bind(&job.id)
            .bind(input)
            .execute(&mut *tx)
            .await
            .map_err(database)?;
        tx.commit().await.map_err(database)?;
        Ok(true)
    }

    async fn job(&self, tenant_id: &str, job_id: &str) -> StoreResult<Job> {
        let statement = format!("SELECT {COLUMNS} FROM jobs WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(tenant_id)
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?
            .ok_or_else(|| StoreError::NotFound(format!("job `{job_id}`")))?;
        job(&row)
    }

    async fn job_errors(
        &self,
        tenant_id: &str,
        job_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<JobError>> {
        self.job(tenant_id, job_id).await?;
        let rows = sqlx::query(
            "SELECT position, user_json, errors FROM job_errors WHERE job_id = $1 \
             ORDER BY position LIMIT $2",
        )
        .bind(job_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        let json = |row: &AnyRow, column: &str| {
            let text: String = row.try_get(column).map_err(database)?;
            serde_json::from_str::<Value>(&text).map_err(|e| StoreError::Database(e.to_string()))
        };
        rows.iter()
            .map(|row| {
                let errors = serde_json::from_value(json(row, "errors")?)
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                Ok(JobError {
                    position: row.try_get("position").map_err(database)?,
                    user: json(row, "user_json")?,
                    errors,
                })
            })
            .collect()
    }

    async fn claim_job(
        &self,
        worker: &str,
        stale_before: &str,
    ) -> StoreResult<Option<(Job, Vec<u8>)>> {
        let at = now();
        // One conditional UPDATE: of two workers one gets the job.
        let statement = format!(
            "UPDATE jobs SET status = 'processing', worker = $1, heartbeat_at = $2, \
             started_at = $2, \
             started_done = CASE WHEN kind = 'users_export' THEN 0 ELSE done_users END \
             WHERE id = (SELECT id FROM jobs WHERE status = 'pending' \
               OR (status = 'processing' AND heartbeat_at < $3) ORDER BY created_at LIMIT 1) \
             AND (status = 'pending' OR (status = 'processing' AND heartbeat_at < $3)) \
             RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(worker)
            .bind(&at)
            .bind(stale_before)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let input: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT input FROM job_inputs WHERE job_id = $1")
                .bind(row.try_get::<String, _>("id").map_err(database)?)
                .fetch_optional(&self.pool)
                .await
                .map_err(database)?;
        Ok(Some((job(&row)?, input.unwrap_or_default())))
    }

    async fn import_batch(
        &self,
        job: &Job,
        worker: &str,
        position: i64,
        users: &[BatchUser],
        max_errors: i64,
    ) -> StoreResult<Option<BatchOutcome>> {
        let upsert = job.options["upsert"].as_bool().unwrap_or(false);
        let connection_id = job.connection_id.as_deref().ok_or_else(|| {
            StoreError::Database(format!("import `{}` has no connection", job.id))
        })?;
        let _turn = self.import_turn().await;
        let mut tx = self.pool.begin().await.map_err(database)?;
        // The claim first: a worker that lost the job writes nothing.
        let held = sqlx::query(
            "UPDATE jobs SET heartbeat_at = $1 WHERE id = $2 AND worker = $3 \
             AND status = 'processing' RETURNING failed",
        )
        .bind(now())
        .bind(&job.id)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(database)?;
        let Some(held) = held else {
            return Ok(None);
        };
        let mut kept_errors: i64 = held.try_get("failed").map_err(database)?;
        let mut outcome = BatchOutcome::default();
        for (offset, user) in (0i64..).zip(users) {
            let refused = match user {
                BatchUser::Valid(user, shown) => {
                    match write_user(&mut tx, job, connection_id, user, upsert).await? {
                        Written::Inserted => {
                            outcome.inserted += 1;
                            continue;
                        }
                        Written::Updated => {
                            outcome.updated += 1;
                            continue;
                        }
                        Written::Refused(error) => (shown.clone(), vec![error]),
                    }
                }
                BatchUser::Invalid(shown, errors) => (shown.clone(), errors.clone()),
            };
            outcome.failed += 1;
            if kept_errors < max_errors {
                kept_errors += 1;
                sqlx::query(
                    "INSERT INTO job_errors (job_id, position, user_json, errors) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&job.id)
                .bind(position + offset)
                .bind(refused.0.to_string())
                .bind(json_text(&refused.1)?)
                .execute(&mut *tx)
                .await
                .map_err(database)?;
            }
        }
        sqlx::query(
            "UPDATE jobs SET done_users = $1, inserted = inserted + $2, updated = updated + $3, \
             failed = failed + $4 WHERE id = $5",
        )
        .bind(position + users.len() as i64)
        .bind(outcome.inserted)
        .bind(outcome.updated)
        .bind(outcome.failed)
        .bind(&job.id)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
        tx.commit().await.map_err(database)?;
        Ok(Some(outcome))
    }

    async fn finish_job(
        &self,
        job_id: &str,
        worker: &str,
        status: JobStatus,
        details: Option<&str>,
        output: Option<&[u8]>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(database)?;
        let ended = sqlx::query(
            "UPDATE jobs SET status = $1, status_details = $2, finished_at = $3 \
             WHERE id = $4 AND worker = $5",
        )
        .bind(status.name())
        .bind(details)
        .bind(now())
        .bind(job_id)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
        if ended.rows_affected() > 0 {
            sqlx::query("DELETE FROM job_inputs WHERE job_id = $1")
                .bind(job_id)
                .execute(&mut *tx)
                .await
                .map_err(database)?;
            if let Some(output) = output {
                sqlx::query("INSERT INTO job_outputs (job_id, output) VALUES ($1, $2)")
                    .bind(job_id)
                    .bind(output)
                    .execute(&mut *tx)
                    .await
                    .map_err(database)?;
            }
        }
        tx.commit().await.map_err(database)?;
        Ok(())
    }

    async fn export_page(
        &self,
        job: &Job,
        worker: &str,
        done: i64,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<CachedUser>>> {
        let held = sqlx::query(
            "UPDATE jobs SET heartbeat_at = $1, done_users = $2 WHERE id = $3 AND worker = $4 \
             AND status = 'processing'",
        )
        .bind(now())
        .bind(done)
        .bind(&job.id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        if held.rows_affected() == 0 {
            return Ok(None);
        }
        // The tenant's users in the order of its primary key; `$2 IS NULL`
        // for every connection.
        let statement = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 \
             AND ($2 IS NULL OR connection_id = $2) AND user_id > $3 ORDER BY user_id LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(&job.tenant_id)
            .bind(job.connection_id.as_deref())
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(database)?;
        rows.iter()
            .map(cached_user)
            .collect::<StoreResult<_>>()
            .map(Some)
    }

    async fn analyze_users(&self) -> StoreResult<()> {
        if !self.sqlite() {
            sqlx::raw_sql("ANALYZE users, user_terms")
                .execute(&self.pool)
                .await
                .map_err(database)?;
        }
        Ok(())
    }

    async fn count_users(&self, tenant_id: &str, connection_id: Option<&str>) -> StoreResult<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND ($2 IS NULL OR connection_id = $2)",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .fetch_one(&self.pool)
        .await
        .map_err(database)
    }

    async fn job_output(&self, job_id: &str) -> StoreResult<(Job, Vec<u8>)> {
        let statement = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?;
        let missing = || StoreError::NotFound(format!("the file of job `{job_id}`"));
        let job = job(&row.ok_or_else(missing)?)?;
        let output: Vec<u8> =
            sqlx::query_scalar("SELECT output FROM job_outputs WHERE job_id = $1")
                .bind(job_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(database)?
                .ok_or_else(missing)?;
        Ok((job, output))
    }

    fn link_mac(&self, link: &str) -> [u8; 32] {
        self.key.mac("users export link", link.as_bytes())
    }

    async fn sweep_jobs(&self, before: &str, exports_before: &str) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM jobs WHERE finished_at < $1 \
             OR (kind = 'users_export' AND finished_at < $2)",
        )
        .bind(before)
        .bind(exports_before)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(done.rows_affected())
    }
}
