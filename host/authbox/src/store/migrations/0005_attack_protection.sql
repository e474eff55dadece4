-- Attack protection (docs/behaviour.md §8): each tenant's settings (JSON;
-- NULL: Auth0's defaults), consecutive failed logins per identifier and
-- IP ('' when the caller gave none), and the throttling buckets per IP,
-- each kept as its due time in milliseconds since the epoch.
ALTER TABLE tenants ADD COLUMN brute_force_protection TEXT;
ALTER TABLE tenants ADD COLUMN suspicious_ip_throttling TEXT;

CREATE TABLE login_failures (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection      TEXT NOT NULL,
    identifier      TEXT NOT NULL,
    ip              TEXT NOT NULL,
    failures        BIGINT NOT NULL,
    last_failure_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, identifier, connection, ip)
);

CREATE TABLE ip_throttles (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    ip        TEXT NOT NULL,
    stage     TEXT NOT NULL,
    due_ms    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, ip, stage)
);

-- Applications whose `auth0-forwarded-for` header names the end user's IP.
ALTER TABLE clients ADD COLUMN ip_header_trusted BIGINT NOT NULL DEFAULT 0;
