//! Bulk user jobs through [`Authbox`]: made (an import's file checked to
//! be a users file, an export's fields checked, the tenant's cap kept),
//! read, an import's refused users, an export's file by a signed link that
//! expires; the process's runner does the work (`crate::jobs`).

use serde_json::json;
use subtle::ConstantTimeEq as _;

use super::{Authbox, FlowError, JobRefusal};
use crate::jobs::{
    EXPORT_LINK_LIFETIME, EXPORT_RETENTION, ExportField, ExportFormat, MAX_KEPT_ERRORS,
    MAX_OPEN_JOBS_PER_TENANT, MAX_USERS_FILE_BYTES, export_fields, users_of,
};
use crate::store::{Job, JobError, JobKind, JobStatus, JobStore};

/// What an import is asked with.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Users already in the connection are updated instead of refused.
    pub upsert: bool,
    /// The caller's own reference, answered with the job.
    pub external_id: Option<String>,
}

/// What an export is asked with.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The connection whose users to export; none: every connection's.
    pub connection_id: Option<String>,
    /// The file's format.
    pub format: ExportFormat,
    /// At most this many users (at least 1); none: all.
    pub limit: Option<i64>,
    /// The fields to write; none: the default ones of the format.
    pub fields: Vec<ExportField>,
}

/// A finished export's file, gzip-compressed.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// `<tenant>.<format>.gz`.
    pub name: String,
    /// The compressed file.
    pub bytes: Vec<u8>,
}

/// A new job's id: `job_` and 24 hex digits.
fn job_id() -> String {
    format!("job_{}", &uuid::Uuid::new_v4().simple().to_string()[..24])
}

/// What a download link's MAC covers: the job and when the link expires.
fn signed_part(job_id: &str, expires: i64) -> String {
    format!("{job_id}\n{expires}")
}

impl Authbox {
    fn jobs(&self) -> &dyn JobStore {
        self.inner.store.as_ref()
    }

    /// Makes a job that imports `file` (Auth0's users file) into a
    /// connection of the tenant; it runs in the background.
    pub async fn create_users_import(
        &self,
        tenant_id: &str,
        connection_id: &str,
        file: &[u8],
        options: ImportOptions,
    ) -> Result<Job, FlowError> {
        if file.len() > MAX_USERS_FILE_BYTES {
            return Err(JobRefusal::TooLarge.into());
        }
        self.store().connection(tenant_id, connection_id).await?;
        let total = users_of(file).map_err(JobRefusal::BadFile)?.len();
        let job = Job::pending(
            job_id(),
            tenant_id,
            Some(connection_id),
            JobKind::UsersImport,
            json!({"upsert": options.upsert, "external_id": options.external_id}),
            total as i64,
        );
        self.start_job(job, file).await
    }

    /// Makes a job that exports the tenant's cached users (of a connection,
    /// or all) to a file; it runs in the background, and [`Authbox::export_link`]
    /// fetches the file once it is done.
    pub async fn create_users_export(
        &self,
        tenant_id: &str,
        options: ExportOptions,
    ) -> Result<Job, FlowError> {
        let connection_id = options.connection_id.as_deref();
        if let Some(connection_id) = connection_id {
            self.store().connection(tenant_id, connection_id).await?;
        }
        if let Some(limit) = options.limit.filter(|limit| *limit < 1) {
            return Err(JobRefusal::BadExport(format!("limit: at least 1, not {limit}")).into());
        }
        let fields =
            export_fields(options.format, options.fields).map_err(JobRefusal::BadExport)?;
        let users = self.jobs().count_users(tenant_id, connection_id).await?;
        let job = Job::pending(
            job_id(),
            tenant_id,
            connection_id,
            JobKind::UsersExport,
            json!({"format": options.format, "limit": options.limit, "fields": fields}),
            options.limit.map_or(users, |limit| users.min(limit)),
        );
        self.start_job(job, &[]).await
    }

    /// Stores a new job (the tenant's cap kept) and wakes the runner.
    async fn start_job(&self, job: Job, input: &[u8]) -> Result<Job, FlowError> {
        if !self
            .jobs()
            .insert_job(&job, input, MAX_OPEN_JOBS_PER_TENANT)
            .await?
        {
            return Err(JobRefusal::TooMany.into());
        }
        if let Some(runner) = &self.inner.jobs {
            runner.wake();
        }
        Ok(job)
    }

    /// The link (path and query, under the server's base URL) that fetches
    /// a completed export's file for the next [`EXPORT_LINK_LIFETIME`]:
    /// `/exports/<job>/<tenant>.<format>.gz?expires=..&signature=..`,
    /// signed with the deployment's key. None for other jobs.
    pub async fn export_link(&self, job: &Job) -> Result<Option<String>, FlowError> {
        if job.kind != JobKind::UsersExport || job.status != JobStatus::Completed {
            return Ok(None);
        }
        let name = self.export_file_name(job).await?;
        let expires = now_seconds() + EXPORT_LINK_LIFETIME.as_secs() as i64;
        let signature = hex::encode(self.jobs().link_mac(&signed_part(&job.id, expires)));
        Ok(Some(format!(
            "/exports/{}/{name}?expires={expires}&signature={signature}",
            job.id
        )))
    }

    /// `<tenant>.<format>.gz`, the tenant's name kept to characters safe
    /// in a URL path and a header.
    async fn export_file_name(&self, job: &Job) -> Result<String, FlowError> {
        let tenant = self.store().tenant(&job.tenant_id).await?;
        let safe: String = tenant
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let format = job.options["format"].as_str().unwrap_or("csv");
        Ok(format!("{safe}.{format}.gz"))
    }

    /// The file of an export, by a link [`Authbox::export_link`] made:
    /// refused when the signature is not the link's, or it expired.
    pub async fn export_file(
        &self,
        job_id: &str,
        expires: i64,
        signature: &str,
    ) -> Result<ExportFile, FlowError> {
        let expected = self.jobs().link_mac(&signed_part(job_id, expires));
        let given = hex::decode(signature).unwrap_or_default();
        if !bool::from(expected.as_slice().ct_eq(&given)) {
            return Err(JobRefusal::BadLink.into());
        }
        if expires < now_seconds() {
            return Err(JobRefusal::LinkExpired.into());
        }
        let (job, bytes) = self.jobs().job_output(job_id).await?;
        let finished = job
            .finished_at
            .as_deref()
            .and_then(|at| sqlx::types::chrono::DateTime::parse_from_rfc3339(at).ok());
        let kept_until = finished.map(|at| at.timestamp() + EXPORT_RETENTION.as_secs() as i64);
        if kept_until.is_none_or(|until| until < now_seconds()) {
            return Err(FlowError::NotFound(format!("the file of job `{job_id}`")));
        }
        Ok(ExportFile {
            name: self.export_file_name(&job).await?,
            bytes,
        })
    }

    /// A job of the tenant, with its progress.
    pub async fn job(&self, tenant_id: &str, job_id: &str) -> Result<Job, FlowError> {
        Ok(self.jobs().job(tenant_id, job_id).await?)
    }

    /// The users a job of the tenant refused, in the file's order.
    pub async fn job_errors(
        &self,
        tenant_id: &str,
        job_id: &str,
    ) -> Result<Vec<JobError>, FlowError> {
        Ok(self
            .jobs()
            .job_errors(tenant_id, job_id, MAX_KEPT_ERRORS)
            .await?)
    }
}

/// Seconds since the Unix epoch.
fn now_seconds() -> i64 {
    sqlx::types::chrono::Utc::now().timestamp()
}
