//! Password-reset tickets in the SQL store, kept under the hash of their
//! token: written with a sweep of expired ones and a cap per user, read,
//! claimed once (a conditional `UPDATE`), released if the reset failed.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::StoreResult;
use super::sql::{SqlStore, database, now};

/// Live tickets a user (a connection's email) may have; a new one beyond
/// them replaces the oldest.
pub const MAX_TICKETS_PER_USER: i64 = 5;
/// Live tickets a tenant may have: `change_password` is public, so that
/// what anyone can make a tenant's store hold is bounded.
pub const MAX_TICKETS_PER_TENANT: i64 = 10_000;

/// A password-reset ticket (its token is not stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordTicket {
    /// The tenant.
    pub tenant_id: String,
    /// The database connection whose user the ticket resets.
    pub connection_id: String,
    /// The user's email, as the connection's scripts know it.
    pub email: String,
    /// Where the reset page sends the user afterwards.
    pub result_url: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// When it was used (RFC 3339), if it was.
    pub used_at: Option<String>,
}

/// The store of password-reset tickets.
#[async_trait]
pub(crate) trait TicketStore: Send + Sync {
    /// Keeps `ticket` under `token_hash` unless its tenant has
    /// `max_per_tenant` live tickets (then `false`); expired tickets go,
    /// and the user's oldest beyond [`MAX_TICKETS_PER_USER`].
    async fn insert_password_ticket(
        &self,
        token_hash: &str,
        ticket: &PasswordTicket,
        max_per_tenant: i64,
    ) -> StoreResult<bool>;
    /// The ticket under `token_hash`, used or not, expired or not.
    async fn password_ticket(&self, token_hash: &str) -> StoreResult<Option<PasswordTicket>>;
    /// Marks the ticket used if it is neither used nor expired, and
    /// answers it; `None` otherwise. Of concurrent claims one wins.
    async fn claim_password_ticket(&self, token_hash: &str) -> StoreResult<Option<PasswordTicket>>;
    /// Makes a claimed ticket usable again (its reset failed).
    async fn release_password_ticket(&self, token_hash: &str) -> StoreResult<()>;
}

const COLUMNS: &str =
    "tenant_id, connection_id, email, result_url, created_at, expires_at, used_at";

fn ticket(row: &AnyRow) -> Result<PasswordTicket, sqlx::Error> {
    Ok(PasswordTicket {
        tenant_id: row.try_get("tenant_id")?,
        connection_id: row.try_get("connection_id")?,
        email: row.try_get("email")?,
        result_url: row.try_get("result_url")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
    })
}

/// The ticket row `query` answers, if any.
async fn optional_ticket(
    store: &SqlStore,
    query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
) -> StoreResult<Option<PasswordTicket>> {
    query
        .fetch_optional(&store.pool)
        .await
        .map_err(database)?
        .as_ref()
        .map(ticket)
        .transpose()
        .map_err(database)
}

#[async_trait]
impl TicketStore for SqlStore {
    async fn insert_password_ticket(
        &self,
        token_hash: &str,
        ticket: &PasswordTicket,
        max_per_tenant: i64,
    ) -> StoreResult<bool> {
        // Each its own statement, none holding a lock across round trips:
        // a sweep that comes late only leaves a dead row a little longer,
        // and concurrent inserts may pass the tenant's cap by a few.
        let at = now();
        sqlx::query("DELETE FROM password_tickets WHERE expires_at < $1")
            .bind(&at)
            .execute(&self.pool)
            .await
            .map_err(database)?;
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM password_tickets WHERE tenant_id = $1 AND expires_at >= $2",
        )
        .bind(&ticket.tenant_id)
        .bind(&at)
        .fetch_one(&self.pool)
        .await
        .map_err(database)?;
        if live >= max_per_tenant {
            return Ok(false);
        }
        sqlx::query(
            "DELETE FROM password_tickets WHERE token_hash IN \
             (SELECT token_hash FROM password_tickets WHERE connection_id = $1 AND email = $2 \
              ORDER BY expires_at DESC LIMIT 100 OFFSET $3)",
        )
        .bind(&ticket.connection_id)
        .bind(&ticket.email)
        .bind(MAX_TICKETS_PER_USER - 1)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        sqlx::query(
            "INSERT INTO password_tickets (token_hash, tenant_id, connection_id, email, \
             result_url, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(&ticket.tenant_id)
        .bind(&ticket.connection_id)
        .bind(&ticket.email)
        .bind(ticket.result_url.as_deref())
        .bind(&ticket.created_at)
        .bind(&ticket.expires_at)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(true)
    }

    async fn password_ticket(&self, token_hash: &str) -> StoreResult<Option<PasswordTicket>> {
        let statement = format!("SELECT {COLUMNS} FROM password_tickets WHERE token_hash = $1");
        optional_ticket(
            self,
            sqlx::query(sqlx::AssertSqlSafe(statement)).bind(token_hash),
        )
        .await
    }

    async fn claim_password_ticket(&self, token_hash: &str) -> StoreResult<Option<PasswordTicket>> {
        let at = now();
        let statement = format!(
            "UPDATE password_tickets SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING {COLUMNS}"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(at)
            .bind(token_hash);
        optional_ticket(self, query).await
    }

    async fn release_password_ticket(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE password_tickets SET used_at = NULL WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(database)?;
        Ok(())
    }
}
