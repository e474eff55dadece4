//! `update_user`: a Management API PATCH of a cached user, checked against
//! the field policy, merged, and written atomically (a concurrent update is
//! never lost: the write is conditional on the revision read, and retried).

use serde_json::{Map, Value};

use super::merge::{check_size, merge};
use super::{MetadataError, PolicyError, policy};
use crate::store::{CachedUser, Store, StoreError, UserChanges};

/// Why an update was refused or failed; a refused update changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The request names attributes this user may not have changed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A metadata value is invalid or too large.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A value has the wrong type.
    #[error("{field} must be {expected}")]
    InvalidValue {
        /// The attribute.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// An attribute the policy allows for migrated users whose update comes
    /// with import mode (not there yet).
    #[error("updating `{0}` of a migrated user is not supported yet")]
    NotYetSupported(String),
    /// The store failed, or the user does not exist.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What this version of `update_user` writes; the policy also allows a
/// migrated user's credentials, which come with import mode.
const METADATA_AND_BLOCKED: &[&str] = &["user_metadata", "app_metadata", "blocked"];

/// Applies `patch` (a PATCH body) to the cached user `user_id` of the
/// tenant, within `max_metadata_bytes`, and answers the updated user.
pub async fn update_user(
    store: &dyn Store,
    tenant_id: &str,
    user_id: &str,
    patch: &Map<String, Value>,
    max_metadata_bytes: usize,
) -> Result<CachedUser, UpdateError> {
    loop {
        let user = store.user(tenant_id, user_id).await?;
        let changes = changes(&user, patch, max_metadata_bytes)?;
        if let Some(updated) = store
            .update_user(tenant_id, user_id, user.revision, &changes)
            .await?
        {
            return Ok(updated);
        }
    }
}

/// What `patch` changes on `user`, or why it may not.
fn changes(
    user: &CachedUser,
    patch: &Map<String, Value>,
    max_metadata_bytes: usize,
) -> Result<UserChanges, UpdateError> {
    policy::check(patch, user.migrated)?;
    if let Some(field) = patch
        .keys()
        .find(|field| !METADATA_AND_BLOCKED.contains(&field.as_str()))
    {
        return Err(UpdateError::NotYetSupported(field.clone()));
    }
    let metadata = |field: &str, current: &Map<String, Value>| {
        patch
            .get(field)
            .map(|update| merge(current, update, field))
            .transpose()
    };
    let changes = UserChanges {
        user_metadata: metadata("user_metadata", &user.user_metadata)?,
        app_metadata: metadata("app_metadata", &user.app_metadata)?,
        blocked: match patch.get("blocked") {
            None => None,
            Some(Value::Bool(blocked)) => Some(*blocked),
            Some(_) => {
                return Err(UpdateError::InvalidValue {
                    field: "blocked".into(),
                    expected: "a boolean",
                });
            }
        },
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
