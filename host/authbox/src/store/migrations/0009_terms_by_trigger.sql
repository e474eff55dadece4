-- The metadata's search terms (0007) written by the database, in the
-- statement that writes the user: authbox computes each metadata object's
-- terms and stores them beside it as a JSON array of [field, value] pairs;
-- triggers (0009_terms_by_trigger.<backend>.sql) replace that object's rows
-- of user_terms when the array changes, and delete a user's rows with the
-- user (a connection's users included). Before, the terms were a second
-- round of statements in a transaction: on SQLite the write lock was held
-- across those round trips while the other writers slept in SQLite's busy
-- handler (metadata patches fell from 7,800/s to 2,700/s). A user cached
-- before this migration has NULL arrays and the terms 0007 wrote for it;
-- the first write of an object's array replaces that object's terms.
ALTER TABLE users ADD COLUMN app_metadata_terms TEXT;
ALTER TABLE users ADD COLUMN user_metadata_terms TEXT;

-- A user's terms of one object are one range of this index: with the object
-- filtered outside it, SQLite chose the primary key and read every term of
-- the tenant.
DROP INDEX user_terms_of_user;
CREATE INDEX user_terms_of_user ON user_terms (tenant_id, user_id, field);
