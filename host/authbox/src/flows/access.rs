//! Management API keys and applications: created with a random secret that
//! is shown once and stored as its hash; presented secrets checked against
//! the hash; listed, revoked and (applications) given a new secret.

use password_hash::rand_core::{OsRng, RngCore};

use super::{Authbox, FlowError};
use crate::store::{ApiKey, Client, SigningKey, secret_hash};

/// The Management API scopes, as Auth0 names them.
pub const SCOPES: &[&str] = &[
    "read:users",
    "update:users",
    "create:users",
    "delete:users",
    "read:connections",
    "create:connections",
    "update:connections",
    "delete:connections",
    "read:tenant_settings",
    "update:tenant_settings",
    "read:clients",
    "update:clients",
    "delete:clients",
    "update:client_keys",
    "read:logs",
    "read:logs_users",
    "create:user_tickets",
    "read:attack_protection",
    "update:attack_protection",
    "read:anomaly_blocks",
    "delete:anomaly_blocks",
];

/// `bytes` random bytes, hex.
pub(super) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

impl Authbox {
    /// A new Management API key of the tenant with these scopes: the key
    /// (shown once, stored as its hash) and its record.
    pub async fn create_api_key(
        &self,
        tenant_id: &str,
        scopes: &[String],
    ) -> Result<(ApiKey, String), FlowError> {
        if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(FlowError::UnknownScope(unknown.clone()));
        }
        let key = format!("abk_{}", random_hex(32));
        let record = self
            .access()
            .create_api_key(tenant_id, &secret_hash(&key), scopes)
            .await?;
        Ok((record, key))
    }

    /// The API key presented as `key`, if it is one (found in the last
    /// second, or in the store).
    pub async fn api_key(&self, key: &str) -> Result<Option<ApiKey>, FlowError> {
        let hash = secret_hash(key);
        let find = self.access().api_key(&hash);
        Ok(self.inner.api_keys.get_or_find(hash.clone(), find).await?)
    }

    /// The tenant's API keys (never the keys themselves), oldest first.
    pub async fn api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>, FlowError> {
        Ok(self.access().api_keys(tenant_id).await?)
    }

    /// Revokes the tenant's API key `key_id`: this process refuses it at
    /// once, others sharing the store within a second.
    pub async fn revoke_api_key(&self, tenant_id: &str, key_id: &str) -> Result<(), FlowError> {
        self.access().revoke_api_key(tenant_id, key_id).await?;
        self.inner.api_keys.forget(|_, key| key.id == key_id);
        Ok(())
    }

    /// A new application of the tenant: its record and its secret (shown
    /// once, stored as its hash).
    pub async fn create_client(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<(Client, String), FlowError> {
        let secret = random_hex(32);
        let client_id = random_hex(16);
        let record = self
            .access()
            .create_client(tenant_id, &client_id, name, &secret_hash(&secret))
            .await?;
        Ok((record, secret))
    }

    /// The application `client_id` if `secret` is its secret (found in
    /// the last second, or in the store).
    pub async fn client(&self, client_id: &str, secret: &str) -> Result<Option<Client>, FlowError> {
        let hash = secret_hash(secret);
        let find = self.access().client(client_id, &hash);
        let key = (client_id.to_string(), hash.clone());
        Ok(self.inner.clients.get_or_find(key, find).await?)
    }

    /// The application `client_id`, named without its secret (as the
    /// Authentication API's signup and change-password requests name it).
    pub async fn public_client(&self, client_id: &str) -> Result<Option<Client>, FlowError> {
        Ok(self.access().public_client(client_id).await?)
    }

    /// The tenant's applications (never their secrets), oldest first.
    pub async fn clients(&self, tenant_id: &str) -> Result<Vec<Client>, FlowError> {
        Ok(self.access().clients(tenant_id).await?)
    }

    /// A new secret for the tenant's application `client_id` (shown once,
    /// stored as its hash); the old one is refused by this process at once,
    /// by others sharing the store within a second.
    pub async fn rotate_client_secret(
        &self,
        tenant_id: &str,
        client_id: &str,
    ) -> Result<(Client, String), FlowError> {
        let secret = random_hex(32);
        let record = self
            .access()
            .set_client_secret(tenant_id, client_id, &secret_hash(&secret))
            .await?;
        self.forget_client(client_id);
        Ok((record, secret))
    }

    /// Sets whether the application's `auth0-forwarded-for` header names the
    /// end user's IP (for attack protection and `last_ip`); seen by this
    /// process at once, by others within a second.
    pub async fn set_client_ip_header_trusted(
        &self,
        tenant_id: &str,
        client_id: &str,
        trusted: bool,
    ) -> Result<Client, FlowError> {
        let record = self
            .access()
            .set_client_ip_header_trusted(tenant_id, client_id, trusted)
            .await?;
        self.forget_client(client_id);
        Ok(record)
    }

    /// Deletes the tenant's application `client_id`: its logins are
    /// refused by this process at once, by others within a second.
    pub async fn revoke_client(&self, tenant_id: &str, client_id: &str) -> Result<(), FlowError> {
        self.access().delete_client(tenant_id, client_id).await?;
        self.forget_client(client_id);
        Ok(())
    }

    fn forget_client(&self, client_id: &str) {
        self.inner.clients.forget(|(id, _), _| id == client_id);
    }

    /// The tenant's token-signing key, if it has one yet.
    pub async fn signing_key(&self, tenant_id: &str) -> Result<Option<SigningKey>, FlowError> {
        Ok(self.access().signing_key(tenant_id).await?)
    }

    /// Stores the tenant's first signing key; if another process stored one
    /// first, answers that one.
    pub async fn add_signing_key(
        &self,
        tenant_id: &str,
        key: &SigningKey,
    ) -> Result<SigningKey, FlowError> {
        Ok(self.access().add_signing_key(tenant_id, key).await?)
    }

    /// Every tenant's signing key, by tenant id.
    pub async fn signing_keys(&self) -> Result<Vec<(String, SigningKey)>, FlowError> {
        Ok(self.access().signing_keys().await?)
    }
}
