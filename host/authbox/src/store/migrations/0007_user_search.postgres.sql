-- PostgreSQL compares text in the database's collation, where a prefix's
-- matches need not sort together: the searched text columns compare bytes,
-- as SQLite does, so that `name:jo*` is one range of an index.
ALTER TABLE users
    ALTER COLUMN user_id TYPE TEXT COLLATE "C",
    ALTER COLUMN email_key TYPE TEXT COLLATE "C",
    ALTER COLUMN username TYPE TEXT COLLATE "C",
    ALTER COLUMN name_key TYPE TEXT COLLATE "C",
    ALTER COLUMN nickname_key TYPE TEXT COLLATE "C",
    ALTER COLUMN given_name_key TYPE TEXT COLLATE "C",
    ALTER COLUMN family_name_key TYPE TEXT COLLATE "C";
ALTER TABLE user_terms
    ALTER COLUMN user_id TYPE TEXT COLLATE "C",
    ALTER COLUMN value TYPE TEXT COLLATE "C";

-- An index per field searched or sorted often and not changed by every login (as on SQLite), ending in user_id (the order's
-- tie-break) and with NULL first as SQLite sorts it, so that a sorted page is
-- read from the index, in the same order on both backends.
CREATE INDEX users_search_username ON users (tenant_id, username NULLS FIRST, user_id);
CREATE INDEX users_search_name ON users (tenant_id, name_key NULLS FIRST, user_id);
CREATE INDEX users_search_nickname ON users (tenant_id, nickname_key NULLS FIRST, user_id);
CREATE INDEX users_search_email ON users (tenant_id, email_key NULLS FIRST, user_id);
CREATE INDEX users_search_blocked ON users (tenant_id, blocked NULLS FIRST, user_id);
CREATE INDEX users_search_created_at ON users (tenant_id, created_at NULLS FIRST, user_id);
