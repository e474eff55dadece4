//! The runner of a process: waits for jobs (woken when one is made here,
//! else every [`POLL`], for jobs made by other processes), claims the oldest
//! and runs it to its end, one at a time; sweeps old jobs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Notify;

use super::{
    BATCH_USERS, EXPORT_PAGE_USERS, EXPORT_RETENTION, ExportField, ExportFormat, ExportWriter,
    JOB_RETENTION, MAX_KEPT_ERRORS, STALE_AFTER, checked, shown, users_of,
};
use crate::background::Background;
use crate::runtime::capabilities::password::CostLimits;
use crate::runtime::profile::{DEFAULT_MAX_PROFILE_BYTES, ProfileSource};
use crate::store::{BatchUser, Job, JobKind, JobStatus, JobStore, SqlStore, Store, StoreError};

/// How often a runner looks for jobs made elsewhere.
const POLL: Duration = Duration::from_secs(2);
/// How much longer than a batch (or an export's page) took the runner
/// pauses after it: the job has at most 1 / (1 + PAUSE_FACTOR) of the
/// store's time (a sixth).
const PAUSE_FACTOR: u32 = 5;

/// The users an import writes before the store's statistics are first
/// taken again; then each time the users it wrote double, and at its end.
/// PostgreSQL plans the store's statements from statistics that only an
/// `ANALYZE` takes: planned from those of a table a hundredth the size, a
/// login read every user of its connection (a bitmap of the connection's
/// index beside the key's), and a server without autovacuum never takes
/// them. The doubling is autovacuum's rule (a tenth of the table changed),
/// coarser: eight analyses for 100,000 users, each reading a sample.
const ANALYZE_FROM: usize = 1000;

/// What the runner needs to know besides the store.
#[derive(Debug, Clone)]
pub(crate) struct RunnerSettings {
    /// The prefix of user ids.
    pub provider: String,
    /// What an imported hash may ask for at login.
    pub limits: CostLimits,
}

/// The process's job runner; stops when dropped.
pub(crate) struct JobRunner {
    wake: Arc<Notify>,
    _task: Background,
}

impl JobRunner {
    /// Starts running the jobs of `store`.
    pub(crate) fn start(store: Arc<SqlStore>, settings: RunnerSettings) -> JobRunner {
        let wake = Arc::new(Notify::new());
        let worker = format!("worker_{}", uuid::Uuid::new_v4().simple());
        let task = tokio::spawn({
            let wake = wake.clone();
            async move {
                let mut last_sweep: Option<Instant> = None;
                loop {
                    if last_sweep.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
                        last_sweep = Some(Instant::now());
                        let swept = store
                            .sweep_jobs(&ago(JOB_RETENTION), &ago(EXPORT_RETENTION))
                            .await;
                        if let Err(e) = swept {
                            tracing::warn!(error = %e, "the job sweep failed");
                        }
                    }
                    match store.claim_job(&worker, &ago(STALE_AFTER)).await {
                        Ok(Some((job, input))) => {
                            run(&store, &settings, &worker, job, &input).await;
                            continue;
                        }
                        Ok(None) => {}
                        Err(_) if store.is_closed() => return,
                        Err(e) => tracing::warn!(error = %e, "claiming a job failed"),
                    }
                    let _ = tokio::time::timeout(POLL, wake.notified()).await;
                }
            }
        });
        JobRunner {
            wake,
            _task: Background::new(vec![task.abort_handle()]),
        }
    }

    /// Looks for a job now (one was just made).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

/// `duration` before now, as the store writes times.
fn ago(duration: Duration) -> String {
    let at = sqlx::types::chrono::Utc::now() - duration;
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// How a job's run ended: `Ok(Some(output))` when done (with an export's
/// file), `Ok(None)` when its claim was lost, `Err` with why it failed.
type Ended = Result<Option<Option<Vec<u8>>>, String>;

/// Runs `job` from its checkpoint to its end, unless its claim is lost.
async fn run(store: &SqlStore, settings: &RunnerSettings, worker: &str, job: Job, input: &[u8]) {
    let ended = match job.kind {
        JobKind::UsersImport => import(store, settings, worker, &job, input).await,
        JobKind::UsersExport => export(store, worker, &job).await,
    };
    let (status, details, output) = match ended {
        Ok(Some(output)) => (JobStatus::Completed, None, output),
        // Another runner holds it now.
        Ok(None) => return,
        Err(details) => (JobStatus::Failed, Some(details), None),
    };
    if let Err(e) = store
        .finish_job(
            &job.id,
            worker,
            status,
            details.as_deref(),
            output.as_deref(),
        )
        .await
    {
        tracing::warn!(job = %job.id, error = %e, "a job could not be finished");
    }
}

/// Imports the users of `input` from the job's checkpoint on.
async fn import(
    store: &SqlStore,
    settings: &RunnerSettings,
    worker: &str,
    job: &Job,
    input: &[u8],
) -> Ended {
    let connection_id = job.connection_id.as_deref().unwrap_or_default();
    let connection = match store.connection(&job.tenant_id, connection_id).await {
        Ok(connection) => connection,
        Err(StoreError::NotFound(_)) => return Err("the connection was deleted".into()),
        Err(e) => return Err(format!("the store failed: {e}")),
    };
    let source = ProfileSource {
        provider: settings.provider.clone(),
        connection: connection.name,
        max_profile_bytes: DEFAULT_MAX_PROFILE_BYTES,
    };
    let users = users_of(input)?;
    let mut position = usize::try_from(job.done).unwrap_or(0);
    let mut next_analysis = position.max(ANALYZE_FROM);
    while position < users.len() {
        let end = (position + BATCH_USERS).min(users.len());
        let batch: Vec<BatchUser> = users[position..end]
            .iter()
            .map(|raw| {
                let user: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                match checked(&user, &source, &settings.limits) {
                    Ok(valid) => BatchUser::Valid(Box::new(valid), shown(&user)),
                    Err(errors) => BatchUser::Invalid(shown(&user), errors),
                }
            })
            .collect();
        let started = Instant::now();
        let written = store
            .import_batch(job, worker, position as i64, &batch, MAX_KEPT_ERRORS)
            .await
            .map_err(|e| format!("the store failed: {e}"))?;
        if written.is_none() {
            return Ok(None);
        }
        if end >= next_analysis || end == users.len() {
            next_analysis = end * 2;
            analyze_users(store).await;
        }
        position = end;
        tokio::time::sleep(started.elapsed() * PAUSE_FACTOR).await;
    }
    Ok(Some(None))
}

/// Takes the users' statistics again; a failure costs only plans.
async fn analyze_users(store: &SqlStore) {
    if let Err(e) = store.analyze_users().await {
        tracing::warn!(error = %e, "taking the users' statistics failed");
    }
}

/// Exports the job's users, from the first (an export taken over starts
/// again: it wrote nothing yet), page by page, into its file.
async fn export(store: &SqlStore, worker: &str, job: &Job) -> Ended {
    let options = &job.options;
    let format: ExportFormat =
        serde_json::from_value(options["format"].clone()).unwrap_or_default();
    let fields: Vec<ExportField> =
        serde_json::from_value(options["fields"].clone()).unwrap_or_default();
    let limit = options["limit"].as_i64().unwrap_or(i64::MAX);
    let mut file = ExportWriter::new(format, &fields);
    let (mut done, mut after) = (0i64, None::<String>);
    while done < limit {
        let started = Instant::now();
        let page = store
            .export_page(
                job,
                worker,
                done,
                after.as_deref(),
                EXPORT_PAGE_USERS.min(limit - done),
            )
            .await
            .map_err(|e| format!("the store failed: {e}"))?;
        let Some(page) = page else {
            return Ok(None);
        };
        for user in &page {
            file.push(&user.to_json()).map_err(|e| e.to_string())?;
        }
        done += page.len() as i64;
        match page.last() {
            Some(last) if page.len() as i64 == EXPORT_PAGE_USERS => {
                after = Some(last.user_id.clone());
            }
            _ => break,
        }
        tokio::time::sleep(started.elapsed() * PAUSE_FACTOR).await;
    }
    file.finish()
        .map(|file| Some(Some(file)))
        .map_err(|e| e.to_string())
}
