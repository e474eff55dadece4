-- SQLite's indexes for user search: one per field searched or sorted
-- often and not changed by every login (given_name, family_name, email_verified, logins_count,
-- updated_at and last_login are scanned: an index on them cost logins a third of their rate), each
-- ending in user_id, the order's tie-break, so that a sorted page is read
-- from the index, not sorted. SQLite sorts NULL first.
CREATE INDEX users_search_username ON users (tenant_id, username, user_id);
CREATE INDEX users_search_name ON users (tenant_id, name_key, user_id);
CREATE INDEX users_search_nickname ON users (tenant_id, nickname_key, user_id);
CREATE INDEX users_search_email ON users (tenant_id, email_key, user_id);
CREATE INDEX users_search_blocked ON users (tenant_id, blocked, user_id);
CREATE INDEX users_search_created_at ON users (tenant_id, created_at, user_id);
