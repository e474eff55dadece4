-- The `users` table the postgres template expects (PostgreSQL 12 or later).
-- Emails are unique and matched ignoring case; usernames hold no `@`, so a
-- login is unambiguously an email or a username.
CREATE TABLE IF NOT EXISTS users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          TEXT NOT NULL,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    username       TEXT UNIQUE CHECK (username NOT LIKE '%@%'),
    password_hash  TEXT NOT NULL,
    name           TEXT,
    given_name     TEXT,
    family_name    TEXT,
    nickname       TEXT,
    picture        TEXT,
    phone_number   TEXT,
    user_metadata  JSONB,
    app_metadata   JSONB,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower ON users (lower(email));
