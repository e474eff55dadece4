-- User search (the Management API's `q`): the normalized text fields Auth0
-- searches in any case, lowercased by authbox when it writes a user (SQLite's
-- lower() knows ASCII only), `email_verified` as a flag, an index per
-- searched or sorted field, and an index table of the metadata's scalar
-- values (`field` like `app_metadata.plan`, `value` like `s:gold`), written
-- with the metadata. Each backend adds its indexes
-- (0007_user_search.<backend>.sql). authbox fills the new columns and terms of the users
-- already cached when it applies this migration. No foreign key: PostgreSQL
-- checked it through the wrong index (a scan of the tenant's users per term
-- written); the store deletes a user's terms with the user, and rewrites them
-- whole whenever it writes them, so a stale term never matches.
ALTER TABLE users ADD COLUMN name_key TEXT;
ALTER TABLE users ADD COLUMN nickname_key TEXT;
ALTER TABLE users ADD COLUMN given_name_key TEXT;
ALTER TABLE users ADD COLUMN family_name_key TEXT;
ALTER TABLE users ADD COLUMN email_verified BIGINT;

-- Replaced by users_search_email, which also serves sorting by email.
DROP INDEX users_by_email;

CREATE TABLE user_terms (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    field     TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, field, value, user_id)
);
CREATE INDEX user_terms_of_user ON user_terms (tenant_id, user_id);
