-- The `users` table the mysql template expects (MySQL 8 or MariaDB 10.5 or
-- later). The case-insensitive collation makes emails unique and matched
-- ignoring case; usernames hold no `@`, so a login is unambiguously an
-- email or a username.
CREATE TABLE IF NOT EXISTS users (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email          VARCHAR(254) NOT NULL UNIQUE,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    username       VARCHAR(128) UNIQUE CHECK (username NOT LIKE '%@%'),
    password_hash  VARCHAR(255) NOT NULL,
    name           VARCHAR(150),
    given_name     VARCHAR(150),
    family_name    VARCHAR(150),
    nickname       VARCHAR(300),
    picture        VARCHAR(2048),
    phone_number   VARCHAR(16),
    user_metadata  JSON,
    app_metadata   JSON,
    created_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
