-- Bulk user jobs (docs/behaviour.md §12). A job keeps its uploaded file
-- (in `job_inputs`: SQLite rewrites a whole row at each UPDATE, and the job's
-- row is updated at each batch) until it is done, and its progress as a checkpoint (`done_users`) written
-- in the same transaction as each batch of users, so that a job whose
-- process stopped is taken over by another and resumes where it stopped,
-- importing no user twice. `worker` and `heartbeat_at` say who runs it.
CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    options        TEXT NOT NULL,
    total_users    BIGINT NOT NULL DEFAULT 0,
    done_users     BIGINT NOT NULL DEFAULT 0,
    inserted       BIGINT NOT NULL DEFAULT 0,
    updated        BIGINT NOT NULL DEFAULT 0,
    failed         BIGINT NOT NULL DEFAULT 0,
    status_details TEXT,
    worker         TEXT,
    heartbeat_at   TEXT,
    created_at     TEXT NOT NULL,
    finished_at    TEXT
);
CREATE INDEX jobs_of_tenant ON jobs (tenant_id, status);
CREATE INDEX jobs_by_status ON jobs (status, created_at);
CREATE TABLE job_inputs (
    job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    input  BYTEA NOT NULL
);
-- The users a job refused, each with its errors (the user without its
-- password hash).
CREATE TABLE job_errors (
    job_id    TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    user_json TEXT NOT NULL,
    errors    TEXT NOT NULL,
    PRIMARY KEY (job_id, position)
);
