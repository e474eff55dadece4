//! `update_user`: a Management API PATCH of a cached user, checked against
//! the field policy, merged, and written atomically (a concurrent update is
//! never lost: the write is conditional on the revision read, and retried).

use serde_json::{Map, Value};

use super::merge::{check_size, merge};
use super::{MetadataError, PolicyError, policy};
use crate::runtime::capabilities::password::PasswordHasher;
use crate::runtime::profile::{check_email, check_length};
use crate::store::{CachedUser, Store, StoreError, UserChanges, now};

/// Why an update was refused or failed; a refused update changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The request names attributes this user may not have changed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A metadata value is invalid or too large.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A value is of the wrong type or form.
    #[error("{field} {reason}")]
    InvalidValue {
        /// The attribute.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Another user of the connection already has this email or username.
    #[error("another user of this connection already has this {0}")]
    Taken(&'static str),
    /// The store failed, or the user does not exist.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How updates are checked and applied.
#[derive(Clone)]
pub(crate) struct UpdateSettings {
    /// The cap on a user's two metadata objects together, as JSON.
    pub max_metadata_bytes: usize,
    /// Hashes a migrated user's new password.
    pub hasher: PasswordHasher,
}

/// The longest username (as profiles allow).
const MAX_USERNAME_CHARS: usize = 128;

/// Applies `patch` (a PATCH body) to the cached user `user_id` of the
/// tenant and answers the updated user. A migrated user's new password is
/// hashed with its connection's algorithm, once, whatever the retries.
pub(crate) async fn update_user(
    store: &dyn Store,
    settings: &UpdateSettings,
    tenant_id: &str,
    user_id: &str,
    patch: &Map<String, Value>,
) -> Result<CachedUser, UpdateError> {
    let mut password_hash = None;
    loop {
        let user = store.user(tenant_id, user_id).await?;
        let mut changes = changes(&user, patch, settings.max_metadata_bytes)?;
        for field in ["email", "username"] {
            if let Some(value) = patch.get(field).and_then(Value::as_str) {
                let holder = store
                    .credentials(tenant_id, &user.connection_id, value)
                    .await?;
                if holder.is_some_and(|h| h.user_id != user.user_id) {
                    return Err(UpdateError::Taken(field));
                }
            }
        }
        if let Some(password) = patch.get("password").and_then(Value::as_str) {
            if password_hash.is_none() {
                let connection = store.connection(tenant_id, &user.connection_id).await?;
                let algorithm = connection.settings.password_hashing.algorithm();
                let hashed = settings
                    .hasher
                    .hash(password.to_string(), algorithm)
                    .await
                    .map_err(|e| UpdateError::InvalidValue {
                        field: "password",
                        reason: format!("could not be hashed: {e}"),
                    })?;
                password_hash = Some(hashed);
            }
            changes.password_hash = password_hash.clone();
            changes.last_password_reset = Some(now());
        }
        if let Some(updated) = store
            .update_user(tenant_id, user_id, user.revision, &changes)
            .await?
        {
            return Ok(updated);
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> UpdateError {
    UpdateError::InvalidValue {
        field,
        reason: reason.into(),
    }
}

fn boolean(patch: &Map<String, Value>, field: &'static str) -> Result<Option<bool>, UpdateError> {
    match patch.get(field) {
        None => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(invalid(field, "must be a boolean")),
    }
}

fn string<'a>(
    patch: &'a Map<String, Value>,
    field: &'static str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<Option<&'a str>, UpdateError> {
    match patch.get(field) {
        None => Ok(None),
        Some(Value::String(value)) => check(value)
            .map(|()| Some(value.as_str()))
            .map_err(|r| invalid(field, r)),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

/// What `patch` changes on `user` (all but the new password's hash), or
/// why it may not.
fn changes(
    user: &CachedUser,
    patch: &Map<String, Value>,
    max_metadata_bytes: usize,
) -> Result<UserChanges, UpdateError> {
    policy::check(patch, user.migrated)?;
    let metadata = |field: &str, current: &Map<String, Value>| {
        patch
            .get(field)
            .map(|update| merge(current, update, field))
            .transpose()
    };
    let changes = UserChanges {
        user_metadata: metadata("user_metadata", &user.user_metadata)?,
        app_metadata: metadata("app_metadata", &user.app_metadata)?,
        blocked: boolean(patch, "blocked")?,
        attributes: migrated_attributes(user, patch)?,
        ..UserChanges::default()
    };
    check_size(
        changes
            .user_metadata
            .as_ref()
            .unwrap_or(&user.user_metadata),
        changes.app_metadata.as_ref().unwrap_or(&user.app_metadata),
        max_metadata_bytes,
    )?;
    Ok(changes)
}

/// A migrated user's new profile attributes (email, email_verified,
/// username), if the patch changes any. The policy has already refused
/// these for other users. A new email is unverified unless the patch says
/// otherwise, as in Auth0. `verify_email` asks for a verification mail,
/// which authbox does not send: it is checked and has no other effect.
fn migrated_attributes(
    user: &CachedUser,
    patch: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, UpdateError> {
    let email = string(patch, "email", check_email)?;
    let verified = boolean(patch, "email_verified")?;
    let username = string(patch, "username", |v| check_length(v, MAX_USERNAME_CHARS))?;
    boolean(patch, "verify_email")?;
    string(patch, "password", |v| check_length(v, 1024))?;
    if email.is_none() && verified.is_none() && username.is_none() {
        return Ok(None);
    }
    let mut attributes = user.attributes.clone();
    if let Some(email) = email {
        let current = attributes.get("email").and_then(Value::as_str);
        if current != Some(email) {
            attributes.insert("email_verified".into(), Value::Bool(false));
        }
        attributes.insert("email".into(), Value::String(email.into()));
    }
    if let Some(verified) = verified {
        attributes.insert("email_verified".into(), Value::Bool(verified));
    }
    if let Some(username) = username {
        attributes.insert("username".into(), Value::String(username.into()));
    }
    Ok(Some(attributes))
}
