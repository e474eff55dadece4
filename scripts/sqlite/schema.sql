-- The `users` table the sqlite template expects. `COLLATE NOCASE` makes
-- emails unique and matched ignoring (ASCII) case; usernames hold no `@`,
-- so a login is unambiguously an email or a username.
CREATE TABLE IF NOT EXISTS users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    username       TEXT UNIQUE CHECK (username NOT LIKE '%@%'),
    password_hash  TEXT NOT NULL,
    name           TEXT,
    given_name     TEXT,
    family_name    TEXT,
    nickname       TEXT,
    picture        TEXT,
    phone_number   TEXT,
    user_metadata  TEXT CHECK (user_metadata IS NULL OR json_valid(user_metadata)),
    app_metadata   TEXT CHECK (app_metadata IS NULL OR json_valid(app_metadata)),
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
