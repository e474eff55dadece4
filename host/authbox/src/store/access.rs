//! Who may use a tenant: Management API keys with their scopes, applications
//! (client id and secret) for the Authentication API, and the tenant's
//! token-signing key. Keys and secrets are stored as their sha256 (they are
//! random and long, so a fast hash is enough) and shown once, at creation;
//! signing keys, which must be read back, are sealed.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::sealed::{Place, seal, unseal};
use super::sql::{SqlStore, database, exists_or, new_id, now};
use super::{StoreError, StoreResult};

/// A Management API key (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Generated id, to name the key (e.g. to revoke it).
    pub id: String,
    /// The one tenant the key sees.
    pub tenant_id: String,
    /// What it may do (`read:users`...).
    pub scopes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// An application allowed to log users in (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Public id.
    pub client_id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// A name for people.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// Whether its `auth0-forwarded-for` header names the end user's IP
    /// (Auth0's `is_token_endpoint_ip_header_trusted`): for a backend that
    /// logs users in on their behalf.
    pub ip_header_trusted: bool,
}

/// A tenant's token-signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The key id in tokens' headers and the JWKS.
    pub kid: String,
    /// The private key, PKCS#8 PEM.
    pub private_key_pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The sha256, hex, under which a key or secret is stored.
pub(crate) fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The store of keys, clients and signing keys.
#[async_trait]
pub(crate) trait AccessStore: Send + Sync {
    /// Stores a Management API key of the tenant by its hash.
    async fn create_api_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        scopes: &[String],
    ) -> StoreResult<ApiKey>;
    /// The API key with this hash, if any.
    async fn api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKey>>;
    /// The tenant's API keys, oldest first.
    async fn api_keys(&self, tenant_id: &str) -> StoreResult<Vec<ApiKey>>;
    /// Deletes the tenant's API key `key_id`.
    async fn revoke_api_key(&self, tenant_id: &str, key_id: &str) -> StoreResult<()>;
    /// Stores an application of the tenant with its secret's hash.
    async fn create_client(
        &self,
        tenant_id: &str,
        client_id: &str,
        name: &str,
        secret_hash: &str,
    ) -> StoreResult<Client>;
    /// The application with this id and secret hash, if both match.
    async fn client(&self, client_id: &str, secret_hash: &str) -> StoreResult<Option<Client>>;
    /// The application `client_id`, by its id alone (the Authentication
    /// API's public endpoints, which name an application without its secret).
    async fn public_client(&self, client_id: &str) -> StoreResult<Option<Client>>;
    /// The tenant's applications, oldest first.
    async fn clients(&self, tenant_id: &str) -> StoreResult<Vec<Client>>;
    /// Replaces the secret of the tenant's application `client_id`.
    async fn set_client_secret(
        &self,
        tenant_id: &str,
        client_id: &str,
        secret_hash: &str,
    ) -> StoreResult<Client>;
    /// Sets whether the application's `auth0-forwarded-for` is trusted.
    async fn set_client_ip_header_trusted(
        &self,
        tenant_id: &str,
        client_id: &str,
        trusted: bool,
    ) -> StoreResult<Client>;
    /// Deletes the tenant's application `client_id`.
    async fn delete_client(&self, tenant_id: &str, client_id: &str) -> StoreResult<()>;
    /// The tenant's signing key, if it has one.
    async fn signing_key(&self, tenant_id: &str) -> StoreResult<Option<SigningKey>>;
    /// Gives the tenant `key` unless it has one already (concurrent
    /// processes agree on the first), and answers the tenant's key.
    async fn add_signing_key(&self, tenant_id: &str, key: &SigningKey) -> StoreResult<SigningKey>;
    /// Every tenant's signing key, with the tenant's id.
    async fn signing_keys(&self) -> StoreResult<Vec<(String, SigningKey)>>;
}

fn api_key(row: &AnyRow) -> StoreResult<ApiKey> {
    let scopes: String = row.try_get("scopes").map_err(database)?;
    Ok(ApiKey {
        id: row.try_get("id").map_err(database)?,
        tenant_id: row.try_get("tenant_id").map_err(database)?,
        scopes: serde_json::from_str(&scopes)
            .map_err(|e| StoreError::Database(format!("stored scopes: {e}")))?,
        created_at: row.try_get("created_at").map_err(database)?,
    })
}

fn client(row: &AnyRow) -> StoreResult<Client> {
    Ok(Client {
        client_id: row.try_get("client_id").map_err(database)?,
        tenant_id: row.try_get("tenant_id").map_err(database)?,
        name: row.try_get("name").map_err(database)?,
        created_at: row.try_get("created_at").map_err(database)?,
        ip_header_trusted: row
            .try_get::<i64, _>("ip_header_trusted")
            .map_err(database)?
            != 0,
    })
}

impl SqlStore {
    /// The signing key of a `signing_keys` row, unsealed.
    fn signing_key_row(&self, row: &AnyRow) -> StoreResult<SigningKey> {
        let tenant_id: String = row.try_get("tenant_id").map_err(database)?;
        let sealed: String = row.try_get("private_key").map_err(database)?;
        let place = Place::SigningKey {
            tenant_id: &tenant_id,
        };
        Ok(SigningKey {
            kid: row.try_get("kid").map_err(database)?,
            private_key_pem: unseal(&self.key, place, &sealed)?,
        })
    }
}

/// A foreign-key failure means the tenant is not there.
fn tenant_missing_or(e: sqlx::Error, tenant_id: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound(format!("tenant `{tenant_id}`"))
        }
        _ => exists_or(e, || "that key".into()),
    }
}

impl SqlStore {
    /// The application row `query` answers (`RETURNING` it); `client_id`
    /// names it when there is none.
    /// The client row `query` answers, if any.
    async fn optional_client(
        &self,
        query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> StoreResult<Option<Client>> {
        query
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?
            .as_ref()
            .map(client)
            .transpose()
    }

    async fn client_row(
        &self,
        query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        client_id: &str,
    ) -> StoreResult<Client> {
        self.optional_client(query)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("client `{client_id}`")))
    }
}

#[async_trait]
impl AccessStore for SqlStore {
    async fn create_api_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        scopes: &[String],
    ) -> StoreResult<ApiKey> {
        let scopes =
            serde_json::to_string(scopes).map_err(|e| StoreError::Database(e.to_string()))?;
        let row = sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, key_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, tenant_id, scopes, created_at",
        )
        .bind(new_id("key"))
        .bind(tenant_id)
        .bind(key_hash)
        .bind(scopes)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| tenant_missing_or(e, tenant_id))?;
        api_key(&row)
    }

    async fn api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
        sqlx::query("SELECT id, tenant_id, scopes, created_at FROM api_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?
            .as_ref()
            .map(api_key)
            .transpose()
    }

    async fn api_keys(&self, tenant_id: &str) -> StoreResult<Vec<ApiKey>> {
        sqlx::query(
            "SELECT id, tenant_id, scopes, created_at FROM api_keys WHERE tenant_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(api_key)
        .collect()
    }

    async fn revoke_api_key(&self, tenant_id: &str, key_id: &str) -> StoreResult<()> {
        let query = sqlx::query("DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(key_id);
        self.delete_one(query, || format!("API key `{key_id}`"))
            .await
    }

    async fn create_client(
        &self,
        tenant_id: &str,
        client_id: &str,
        name: &str,
        secret_hash: &str,
    ) -> StoreResult<Client> {
        let row = sqlx::query(
            "INSERT INTO clients (client_id, tenant_id, name, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING client_id, tenant_id, name, created_at, ip_header_trusted",
        )
        .bind(client_id)
        .bind(tenant_id)
        .bind(name)
        .bind(secret_hash)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| tenant_missing_or(e, tenant_id))?;
        client(&row)
    }

    async fn client(&self, client_id: &str, secret_hash: &str) -> StoreResult<Option<Client>> {
        let query = sqlx::query(
            "SELECT client_id, tenant_id, name, created_at, ip_header_trusted FROM clients \
             WHERE client_id = $1 AND secret_hash = $2",
        )
        .bind(client_id)
        .bind(secret_hash);
        self.optional_client(query).await
    }

    async fn public_client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let query = sqlx::query(
            "SELECT client_id, tenant_id, name, created_at, ip_header_trusted FROM clients \
             WHERE client_id = $1",
        )
        .bind(client_id);
        self.optional_client(query).await
    }

    async fn clients(&self, tenant_id: &str) -> StoreResult<Vec<Client>> {
        sqlx::query(
            "SELECT client_id, tenant_id, name, created_at, ip_header_trusted FROM clients WHERE tenant_id = $1 \
             ORDER BY created_at, client_id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(client)
        .collect()
    }

    async fn set_client_secret(
        &self,
        tenant_id: &str,
        client_id: &str,
        secret_hash: &str,
    ) -> StoreResult<Client> {
        let query = sqlx::query(
            "UPDATE clients SET secret_hash = $1 WHERE tenant_id = $2 AND client_id = $3 \
             RETURNING client_id, tenant_id, name, created_at, ip_header_trusted",
        )
        .bind(secret_hash)
        .bind(tenant_id)
        .bind(client_id);
        self.client_row(query, client_id).await
    }

    async fn set_client_ip_header_trusted(
        &self,
        tenant_id: &str,
        client_id: &str,
        trusted: bool,
    ) -> StoreResult<Client> {
        let query = sqlx::query(
            "UPDATE clients SET ip_header_trusted = $1 WHERE tenant_id = $2 AND client_id = $3 \
             RETURNING client_id, tenant_id, name, created_at, ip_header_trusted",
        )
        .bind(i64::from(trusted))
        .bind(tenant_id)
        .bind(client_id);
        self.client_row(query, client_id).await
    }

    async fn delete_client(&self, tenant_id: &str, client_id: &str) -> StoreResult<()> {
        let query = sqlx::query("DELETE FROM clients WHERE tenant_id = $1 AND client_id = $2")
            .bind(tenant_id)
            .bind(client_id);
        self.delete_one(query, || format!("client `{client_id}`"))
            .await
    }

    async fn signing_key(&self, tenant_id: &str) -> StoreResult<Option<SigningKey>> {
        sqlx::query("SELECT tenant_id, kid, private_key FROM signing_keys WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?
            .as_ref()
            .map(|row| self.signing_key_row(row))
            .transpose()
    }

    async fn add_signing_key(&self, tenant_id: &str, key: &SigningKey) -> StoreResult<SigningKey> {
        sqlx::query(
            "INSERT INTO signing_keys (tenant_id, kid, private_key, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(&key.kid)
        .bind(seal(
            &self.key,
            Place::SigningKey { tenant_id },
            &key.private_key_pem,
        )?)
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(|e| tenant_missing_or(e, tenant_id))?;
        self.signing_key(tenant_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("tenant `{tenant_id}`")))
    }

    async fn signing_keys(&self) -> StoreResult<Vec<(String, SigningKey)>> {
        sqlx::query("SELECT tenant_id, kid, private_key FROM signing_keys ORDER BY kid")
            .fetch_all(&self.pool)
            .await
            .map_err(database)?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get("tenant_id").map_err(database)?,
                    self.signing_key_row(row)?,
                ))
            })
            .collect()
    }
}
