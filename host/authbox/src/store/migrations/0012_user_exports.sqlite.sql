-- SQLite cannot drop a NOT NULL: the job tables are made again, as 0011
-- made them but for that, and their rows copied. The tables that refer to
-- `jobs` are copied too (dropping `jobs` deletes their rows; `job_outputs`
-- is empty yet); renaming `jobs_new` to `jobs` renames it in their
-- references.
CREATE TABLE jobs_new (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id  TEXT REFERENCES connections (id) ON DELETE CASCADE,
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
INSERT INTO jobs_new SELECT id, tenant_id, connection_id, kind, status, options, total_users,
    done_users, inserted, updated, failed, status_details, worker, heartbeat_at, created_at,
    finished_at FROM jobs;
CREATE TABLE job_inputs_new (
    job_id TEXT PRIMARY KEY REFERENCES jobs_new (id) ON DELETE CASCADE,
    input  BYTEA NOT NULL
);
INSERT INTO job_inputs_new SELECT job_id, input FROM job_inputs;
CREATE TABLE job_errors_new (
    job_id    TEXT NOT NULL REFERENCES jobs_new (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    user_json TEXT NOT NULL,
    errors    TEXT NOT NULL,
    PRIMARY KEY (job_id, position)
);
INSERT INTO job_errors_new SELECT job_id, position, user_json, errors FROM job_errors;
DROP TABLE job_errors;
DROP TABLE job_inputs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
ALTER TABLE job_inputs_new RENAME TO job_inputs;
ALTER TABLE job_errors_new RENAME TO job_errors;
CREATE INDEX jobs_of_tenant ON jobs (tenant_id, status);
CREATE INDEX jobs_by_status ON jobs (status, created_at);
