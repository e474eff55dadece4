-- Tenant logs (docs/behaviour.md §10): an event per login, signup, user
-- deletion..., in Auth0's shape. `log_id` starts with the event's time in
-- milliseconds, so that its order is the events' and the retention sweep
-- finds the old ones by it, tenant by tenant on the primary key; `details` is
-- JSON. One index beside the key (a user's events): each costs every login.
CREATE TABLE log_events (
    tenant_id     TEXT NOT NULL,
    log_id        TEXT NOT NULL,
    date          TEXT NOT NULL,
    type          TEXT NOT NULL,
    description   TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT,
    client_id     TEXT,
    client_name   TEXT,
    user_id       TEXT,
    user_name     TEXT,
    connection    TEXT,
    connection_id TEXT,
    details       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, log_id)
);
CREATE INDEX log_events_of_user ON log_events (tenant_id, user_id, log_id);
