-- When the worker holding a job claimed it, and how many users were done
-- then: the job's pace since, for the time it has left.
ALTER TABLE jobs ADD COLUMN started_at TEXT;
ALTER TABLE jobs ADD COLUMN started_done BIGINT NOT NULL DEFAULT 0;
