-- SQLite's indexes for user search: one per field searched or sorted
-- often (given_name, family_name, email_verified and updated_at are scanned), each
-- ending in user_id, the order's tie-break, so that a sorted page is read
-- from the index, not sorted. SQLite sorts NULL first.
CREATE INDEX users_search_username ON users (tenant_id, username, user_id);
CREATE INDEX users_search_name ON users (tenant_id, name_key, user_id);
CREATE INDEX users_search_nickname ON users (tenant_id, nickname_key, user_id);
CREATE INDEX users_search_email ON users (tenant_id, email_key, user_id);
CREATE INDEX users_search_blocked ON users (tenant_id, blocked, user_id);
CREATE INDEX users_search_logins_count ON users (tenant_id, logins_count, user_id);
CREATE INDEX users_search_created_at ON users (tenant_id, created_at, user_id);
CREATE INDEX users_search_last_login ON users (tenant_id, last_login, user_id);
