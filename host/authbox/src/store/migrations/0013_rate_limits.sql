-- Fixed limits on public requests (a change-password request per IP, and
-- per IP and email), as GCRA buckets like `ip_throttles`. `subject` is a
-- hash of what is limited: no email or IP is kept here in the clear.
CREATE TABLE rate_limits (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    subject   TEXT NOT NULL,
    due_ms    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);
