-- authbox's own tables. One text for SQLite and PostgreSQL: ids, timestamps
-- (RFC 3339, UTC, millisecond precision) and JSON are text; flags are
-- BIGINT 0 or 1 (sqlx's `Any` driver reads no SQLite BOOLEAN).

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE connections (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    settings       TEXT NOT NULL,
    active_version BIGINT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE scripts (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    actions       TEXT NOT NULL,
    wasm          BYTEA NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (connection_id, version)
);

CREATE TABLE users (
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL,
    connection_id       TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    email               TEXT,
    email_key           TEXT,
    username            TEXT,
    profile             TEXT NOT NULL,
    user_metadata       TEXT NOT NULL,
    app_metadata        TEXT NOT NULL,
    blocked             BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    last_login          TEXT,
    last_ip             TEXT,
    logins_count        BIGINT NOT NULL,
    last_password_reset TEXT,
    migrated            BIGINT NOT NULL,
    migrated_at         TEXT,
    password_hash       TEXT,
    revision            BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

CREATE INDEX users_by_email ON users (tenant_id, email_key);
CREATE INDEX users_by_connection ON users (connection_id, email_key);
CREATE INDEX users_by_username ON users (connection_id, username);
