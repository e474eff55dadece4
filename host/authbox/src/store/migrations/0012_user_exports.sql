-- Users exports (docs/behaviour.md §12): the file an export wrote, kept
-- beside its job (as the import's file is, out of the job's row) until the
-- job is swept. An export of every connection of the tenant has no
-- connection: 0012_user_exports.<backend>.sql let `jobs.connection_id` be
-- NULL.
CREATE TABLE job_outputs (
    job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    output BYTEA NOT NULL
);
