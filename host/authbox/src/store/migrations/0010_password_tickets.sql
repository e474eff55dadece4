-- Password-reset tickets (docs/behaviour.md §11): the link a user follows to
-- set a new password. Only the SHA-256 of the ticket's token is kept, so the
-- store never holds a usable link; `used_at` makes it single-use, claimed by
-- one conditional UPDATE. A ticket goes with its connection or tenant.
CREATE TABLE password_tickets (
    token_hash    TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    result_url    TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT
);
-- A user's live tickets, a tenant's (both capped), and the expired ones swept
-- with each new ticket.
CREATE INDEX password_tickets_of_email ON password_tickets (connection_id, email, expires_at);
CREATE INDEX password_tickets_of_tenant ON password_tickets (tenant_id, expires_at);
CREATE INDEX password_tickets_by_expiry ON password_tickets (expires_at);
