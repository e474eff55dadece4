-- A tenant's settings: the connection `grant_type=password` logs in through
-- (Auth0's `default_directory`), by name; NULL: the tenant's only one.
ALTER TABLE tenants ADD COLUMN default_connection TEXT;
