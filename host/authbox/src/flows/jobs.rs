//! Bulk user jobs through [`Authbox`]: made (the file checked to be a
//! users file, the tenant's cap kept), read, and their refused users; the
//! process's runner does the work (`crate::jobs`).

use serde_json::json;

use super::{Authbox, FlowError, JobRefusal};
use crate::jobs::{MAX_KEPT_ERRORS, MAX_OPEN_JOBS_PER_TENANT, MAX_USERS_FILE_BYTES, users_of};
use crate::store::{Job, JobError, JobKind, JobStore};

/// What an import is asked with.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Users already in the connection are updated instead of refused.
    pub upsert: bool,
    /// The caller's own reference, answered with the job.
    pub external_id: Option<String>,
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
            format!("job_{}", &uuid::Uuid::new_v4().simple().to_string()[..24]),
            tenant_id,
            connection_id,
            JobKind::UsersImport,
            json!({"upsert": options.upsert, "external_id": options.external_id}),
            total as i64,
        );
        if !self
            .jobs()
            .insert_job(&job, file, MAX_OPEN_JOBS_PER_TENANT)
            .await?
        {
            return Err(JobRefusal::TooMany.into());
        }
        if let Some(runner) = &self.inner.jobs {
            runner.wake();
        }
        Ok(job)
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
