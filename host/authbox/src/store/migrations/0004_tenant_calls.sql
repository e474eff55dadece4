-- A tenant's cap on script calls in flight; NULL: the deployment's default.
ALTER TABLE tenants ADD COLUMN calls_in_flight BIGINT;
