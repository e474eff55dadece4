-- The check value of the secret key that seals the store's secrets (the
-- connections' settings, the tenants' signing keys): a constant sealed under
-- it, so that a process given another key refuses to start instead of
-- failing at each read. One row (id 1); key_id names the key, never shows it.
CREATE TABLE secret_key (
    id         BIGINT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    key_check  TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
