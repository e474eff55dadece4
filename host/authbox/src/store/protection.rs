//! Attack protection's state: each tenant's settings, failed logins per
//! identifier and IP, and the throttling buckets per IP. Every count is one
//! statement (an upsert), so processes sharing PostgreSQL never lose one.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{SqlStore, database, json_text, now};
use super::{StoreError, StoreResult};
use crate::protection::{AttackProtection, Bucket, Stage};

/// Failed logins of one identifier through one connection from one IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailures {
    /// The connection's name.
    pub connection: String,
    /// The identifier, lowercased.
    pub identifier: String,
    /// The client's address; empty when the caller gave none.
    pub ip: String,
    /// Consecutive failures so far.
    pub failures: i64,
}

/// The store of attack protection.
#[async_trait]
pub(crate) trait ProtectionStore: Send + Sync {
    /// The tenant's settings (Auth0's defaults for what was never set).
    async fn attack_protection(&self, tenant_id: &str) -> StoreResult<AttackProtection>;
    /// Replaces the tenant's settings.
    async fn set_attack_protection(
        &self,
        tenant_id: &str,
        settings: &AttackProtection,
    ) -> StoreResult<()>;

    /// The failed logins of these identifiers (lowercased), every
    /// connection and IP; of one connection if given.
    async fn login_failures(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
        identifiers: &[String],
    ) -> StoreResult<Vec<LoginFailures>>;
    /// Counts a failed login; answers the identifier's failures from `ip`.
    async fn count_login_failure(
        &self,
        tenant_id: &str,
        connection: &str,
        identifier: &str,
        ip: &str,
    ) -> StoreResult<i64>;
    /// Forgets failed logins of these identifiers (of one connection, from
    /// one IP, if given); answers how many rows went.
    async fn clear_login_failures(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
        identifiers: &[String],
        ip: Option<&str>,
    ) -> StoreResult<u64>;

    /// The due time of the IP's bucket of `stage`, if it has one.
    async fn throttle_due(
        &self,
        tenant_id: &str,
        ip: &str,
        stage: Stage,
    ) -> StoreResult<Option<i64>>;
    /// Counts an attempt into the IP's bucket: its due time becomes
    /// `max(due, now_ms) + rate_ms`, which is answered.
    async fn count_throttled(
        &self,
        tenant_id: &str,
        ip: &str,
        stage: Stage,
        now_ms: i64,
        rate_ms: i64,
    ) -> StoreResult<i64>;
    /// Empties the IP's buckets; answers how many it had.
    async fn clear_throttle(&self, tenant_id: &str, ip: &str) -> StoreResult<u64>;

    /// Takes one request out of the fixed-limit bucket `subject` (a hash
    /// of what is limited, e.g. an IP and an email): `None` when taken;
    /// when it is empty, nothing is counted and the answer is the
    /// milliseconds until it holds one request again.
    async fn take_from_bucket(
        &self,
        tenant_id: &str,
        subject: &str,
        bucket: Bucket,
        now_ms: i64,
    ) -> StoreResult<Option<u64>>;
    /// Deletes the buckets (fixed limits and IP throttles) that are full
    /// again at `now_ms`, as a bucket with no row is; answers how many.
    async fn sweep_buckets(&self, now_ms: i64) -> StoreResult<u64>;
}

fn login_failures(row: &AnyRow) -> Result<LoginFailures, sqlx::Error> {
    Ok(LoginFailures {
        connection: row.try_get("connection")?,
        identifier: row.try_get("identifier")?,
        ip: row.try_get("ip")?,
        failures: row.try_get("failures")?,
    })
}

/// `IN ($first, ...)` for `count` parameters numbered from `first`.
fn in_list(first: usize, count: usize) -> String {
    let params: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    format!("IN ({})", params.join(", "))
}

fn stored<T: serde::de::DeserializeOwned + Default>(text: Option<String>) -> StoreResult<T> {
    text.map_or(Ok(T::default()), |text| {
        serde_json::from_str(&text)
            .map_err(|e| StoreError::Database(format!("stored attack protection: {e}")))
    })
}

#[async_trait]
impl ProtectionStore for SqlStore {
    async fn attack_protection(&self, tenant_id: &str) -> StoreResult<AttackProtection> {
        let row = sqlx::query(
            "SELECT brute_force_protection, suspicious_ip_throttling FROM tenants WHERE id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .ok_or_else(|| StoreError::NotFound(format!("tenant `{tenant_id}`")))?;
        Ok(AttackProtection {
            brute_force: stored(row.try_get("brute_force_protection").map_err(database)?)?,
            suspicious_ip: stored(row.try_get("suspicious_ip_throttling").map_err(database)?)?,
        })
    }

    async fn set_attack_protection(
        &self,
        tenant_id: &str,
        settings: &AttackProtection,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE tenants SET brute_force_protection = $1, suspicious_ip_throttling = $2 \
             WHERE id = $3",
        )
        .bind(json_text(&settings.brute_force)?)
        .bind(json_text(&settings.suspicious_ip)?)
        .bind(tenant_id)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        match updated.rows_affected() {
            0 => Err(StoreError::NotFound(format!("tenant `{tenant_id}`"))),
            _ => Ok(()),
        }
    }

    async fn login_failures(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
        identifiers: &[String],
    ) -> StoreResult<Vec<LoginFailures>> {
        if identifiers.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT connection, identifier, ip, failures FROM login_failures \
             WHERE tenant_id = $1 AND ($2 IS NULL OR connection = $2) AND identifier {} \
             ORDER BY identifier, connection, ip",
            in_list(3, identifiers.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(connection);
        for identifier in identifiers {
            query = query.bind(identifier);
        }
        query
            .fetch_all(&self.pool)
            .await
            .map_err(database)?
            .iter()
            .map(|row| login_failures(row).map_err(database))
            .collect()
    }

    async fn count_login_failure(
        &self,
        tenant_id: &str,
        connection: &str,
        identifier: &str,
        ip: &str,
    ) -> StoreResult<i64> {
        sqlx::query(
            "INSERT INTO login_failures \
             (tenant_id, connection, identifier, ip, failures, last_failure_at) \
             VALUES ($1, $2, $3, $4, 1, $5) \
             ON CONFLICT (tenant_id, identifier, connection, ip) DO UPDATE \
             SET failures = login_failures.failures + 1, last_failure_at = $5 \
             RETURNING failures",
        )
        .bind(tenant_id)
        .bind(connection)
        .bind(identifier)
        .bind(ip)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(database)?
        .try_get("failures")
        .map_err(database)
    }

    async fn clear_login_failures(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
        identifiers: &[String],
        ip: Option<&str>,
    ) -> StoreResult<u64> {
        if identifiers.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "DELETE FROM login_failures WHERE tenant_id = $1 \
             AND ($2 IS NULL OR connection = $2) AND ($3 IS NULL OR ip = $3) AND identifier {}",
            in_list(4, identifiers.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(connection)
            .bind(ip);
        for identifier in identifiers {
            query = query.bind(identifier);
        }
        let deleted = query.execute(&self.pool).await.map_err(database)?;
        Ok(deleted.rows_affected())
    }

    async fn throttle_due(
        &self,
        tenant_id: &str,
        ip: &str,
        stage: Stage,
    ) -> StoreResult<Option<i64>> {
        sqlx::query(
            "SELECT due_ms FROM ip_throttles WHERE tenant_id = $1 AND ip = $2 AND stage = $3",
        )
        .bind(tenant_id)
        .bind(ip)
        .bind(stage.name())
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?
        .map(|row| row.try_get("due_ms").map_err(database))
        .transpose()
    }

    async fn count_throttled(
        &self,
        tenant_id: &str,
        ip: &str,
        stage: Stage,
        now_ms: i64,
        rate_ms: i64,
    ) -> StoreResult<i64> {
        sqlx::query(
            "INSERT INTO ip_throttles (tenant_id, ip, stage, due_ms) VALUES ($1, $2, $3, $4 + $5) \
             ON CONFLICT (tenant_id, ip, stage) DO UPDATE SET due_ms = \
             (CASE WHEN ip_throttles.due_ms > $4 THEN ip_throttles.due_ms ELSE $4 END) + $5 \
             RETURNING due_ms",
        )
        .bind(tenant_id)
        .bind(ip)
        .bind(stage.name())
        .bind(now_ms)
        .bind(rate_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(database)?
        .try_get("due_ms")
        .map_err(database)
    }

    async fn clear_throttle(&self, tenant_id: &str, ip: &str) -> StoreResult<u64> {
        let deleted = sqlx::query("DELETE FROM ip_throttles WHERE tenant_id = $1 AND ip = $2")
            .bind(tenant_id)
            .bind(ip)
            .execute(&self.pool)
            .await
            .map_err(database)?;
        Ok(deleted.rows_affected())
    }

    async fn take_from_bucket(
        &self,
        tenant_id: &str,
        subject: &str,
        bucket: Bucket,
        now_ms: i64,
    ) -> StoreResult<Option<u64>> {
        // GCRA as in `count_throttled`, but the update only happens while
        // the bucket has room: a refused request counts nothing, and no
        // row comes back.
        let rate = bucket.rate_ms as i64;
        let capacity = rate.saturating_mul(i64::from(bucket.max_attempts));
        let taken = sqlx::query(
            "INSERT INTO rate_limits (tenant_id, subject, due_ms) VALUES ($1, $2, $3 + $4) \
             ON CONFLICT (tenant_id, subject) DO UPDATE SET due_ms = \
             (CASE WHEN rate_limits.due_ms > $3 THEN rate_limits.due_ms ELSE $3 END) + $4 \
             WHERE (CASE WHEN rate_limits.due_ms > $3 THEN rate_limits.due_ms ELSE $3 END) \
             + $4 - $3 <= $5 \
             RETURNING due_ms",
        )
        .bind(tenant_id)
        .bind(subject)
        .bind(now_ms)
        .bind(rate)
        .bind(capacity)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        if taken.is_some() {
            return Ok(None);
        }
        // Refused: the bucket holds one again when its due time less the
        // capacity is one period away.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT due_ms FROM rate_limits WHERE tenant_id = $1 AND subject = $2",
        )
        .bind(tenant_id)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        let wait = due.map_or(0, |due| due.saturating_add(rate) - capacity - now_ms);
        Ok(Some(u64::try_from(wait).unwrap_or(0).max(1)))
    }

    async fn sweep_buckets(&self, now_ms: i64) -> StoreResult<u64> {
        let mut swept = 0;
        for table in ["rate_limits", "ip_throttles"] {
            let deleted = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE due_ms <= $1"
            )))
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map_err(database)?;
            swept += deleted.rows_affected();
        }
        Ok(swept)
    }
}
