//! Bulk user jobs, for tenants who move their users at once instead of one
//! login at a time: a users file (Auth0's format) imported into a
//! connection as migrated users, in the background, batch by batch, with
//! each refused user and why; and the cached users exported to a file
//! (JSON or CSV, gzip-compressed) fetched by a link that expires. The job's
//! state is in the store, so a job outlives the process that took it:
//! another process's runner (or the same one, restarted) resumes an import
//! at its checkpoint, and starts an export again.
//!
//! Bounds: a file is at most [`MAX_USERS_FILE_BYTES`]; a tenant has at most
//! [`MAX_OPEN_JOBS_PER_TENANT`] jobs not finished; a process runs one job at
//! a time, oldest first, and gives its imports at most a sixth of the
//! store's time (each batch is followed by a pause five times as long); at most [`MAX_KEPT_ERRORS`] refused users
//! are kept per job; finished jobs are deleted after [`JOB_RETENTION`].
//! An export has at most [`MAX_EXPORT_FIELDS`] fields, its file at most
//! [`MAX_EXPORT_FILE_BYTES`] compressed, built in memory; it reads
//! [`EXPORT_PAGE_USERS`] users at a time, paced as imports are; it is
//! deleted with its file after [`EXPORT_RETENTION`], and a link to the file
//! works for [`EXPORT_LINK_LIFETIME`].

mod export;
mod runner;
#[cfg(test)]
mod tests;
mod users_file;

use std::time::Duration;

pub use export::{ExportField, ExportFormat, ExportTooLarge, ExportWriter, export_fields};
pub(crate) use runner::{JobRunner, RunnerSettings};
pub use users_file::{FieldError, ImportedUser, checked, shown, users_of};

/// The largest users file.
pub const MAX_USERS_FILE_BYTES: usize = 64 << 20;
/// Jobs a tenant may have pending or processing.
pub const MAX_OPEN_JOBS_PER_TENANT: i64 = 2;
/// Refused users kept per job (more are counted only).
pub const MAX_KEPT_ERRORS: i64 = 10_000;
/// Users imported per transaction.
pub const BATCH_USERS: usize = 100;
/// How long a finished job (and its errors) stays readable.
pub const JOB_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// A job whose runner has not written for this long is taken over.
pub const STALE_AFTER: Duration = Duration::from_secs(60);
/// Fields an export may name.
pub const MAX_EXPORT_FIELDS: usize = 30;
/// The largest export file, compressed.
pub const MAX_EXPORT_FILE_BYTES: usize = 64 << 20;
/// Users an export reads at a time.
pub const EXPORT_PAGE_USERS: i64 = 500;
/// How long a finished export (and its file) stays.
pub const EXPORT_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How long a link to an export's file works.
pub const EXPORT_LINK_LIFETIME: Duration = Duration::from_secs(60);
