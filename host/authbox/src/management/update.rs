//! Writing a [`UserUpdate`] into the cache: the one read-modify-retry loop.
//! The write is conditional on the revision read, and retried after a
//! concurrent one, so no update is ever lost.

use serde_json::{Map, Value};

use super::user_update::UserUpdate;
use super::{UpdateError, policy};
use std::time::{Duration, Instant};

use crate::runtime::capabilities::password::HashPool;
use crate::runtime::share::Owner;
use crate::store::{CachedUser, Store, now};

/// How updates are checked and applied.
#[derive(Clone)]
pub(crate) struct UpdateSettings {
    /// The cap on a user's two metadata objects together, as JSON.
    pub max_metadata_bytes: usize,
    /// Hashes a migrated user's new password (for its tenant's share).
    pub hashing: HashPool,
}

/// Who decided an update, which decides how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpdateSource {
    /// A request (a Management API PATCH, or a flow changing a migrated
    /// user, whose profile is authbox's own): checked by the field policy
    /// at every try, and a new email or username must be free.
    Request,
    /// The custom database made the change (its script said so): the cache
    /// follows, unchecked.
    CustomDatabase,
}

/// Applies `patch` (a PATCH body) to the cached user `user_id` of the
/// tenant and answers the updated user: parsed once into a [`UserUpdate`],
/// after the field policy has checked its names for this user.
pub(crate) async fn update_user(
    store: &dyn Store,
    settings: &UpdateSettings,
    tenant_id: &str,
    user_id: &str,
    patch: &Map<String, Value>,
) -> Result<CachedUser, UpdateError> {
    let user = store.user(tenant_id, user_id).await?;
    policy::check(patch.keys().map(String::as_str), user.migrated)?;
    let update = UserUpdate::parse(patch)?;
    apply(
        store,
        settings,
        tenant_id,
        user,
        &update,
        UpdateSource::Request,
    )
    .await
}

/// Applies a flow's `update` to the cached user `user_id` of the tenant.
pub(crate) async fn change_user(
    store: &dyn Store,
    settings: &UpdateSettings,
    tenant_id: &str,
    user_id: &str,
    update: &UserUpdate,
    source: UpdateSource,
) -> Result<CachedUser, UpdateError> {
    let user = store.user(tenant_id, user_id).await?;
    if source == UpdateSource::Request {
        policy::check(update.names(), user.migrated)?;
    }
    apply(store, settings, tenant_id, user, update, source).await
}

/// Writes `update` over `user` (just read, and checked by the policy if
/// the update is a request's), reading again (and checking again) and
/// retrying while another write comes between. A migrated user's new
/// password is hashed with its connection's algorithm, once, whatever the
/// retries.
async fn apply(
    store: &dyn Store,
    settings: &UpdateSettings,
    tenant_id: &str,
    mut user: CachedUser,
    update: &UserUpdate,
    source: UpdateSource,
) -> Result<CachedUser, UpdateError> {
    let request = source == UpdateSource::Request;
    let mut password_hash = None;
    loop {
        let mut changes = update.changes(&user, settings.max_metadata_bytes)?;
        if request {
            for (field, value) in [("email", &update.email), ("username", &update.username)] {
                let Some(value) = value else { continue };
                let holder = store
                    .credentials(tenant_id, &user.connection_id, value)
                    .await?;
                if holder.is_some_and(|h| h.user_id != user.user_id) {
                    return Err(UpdateError::Taken(field));
                }
            }
        }
        if let Some(password) = &update.password {
            // The custom database holds other users' passwords: only when.
            if user.migrated {
                if password_hash.is_none() {
                    password_hash = Some(hash(store, settings, tenant_id, &user, password).await?);
                }
                changes.password_hash = password_hash.clone();
            }
            changes.last_password_reset = Some(now());
        }
        if let Some(updated) = store
            .update_user(tenant_id, &user.user_id, user.revision, &changes)
            .await?
        {
            return Ok(updated);
        }
        user = store.user(tenant_id, &user.user_id).await?;
        if request {
            policy::check(update.names(), user.migrated)?;
        }
    }
}

/// A hash of a migrated user's new password, with its connection's algorithm.
async fn hash(
    store: &dyn Store,
    settings: &UpdateSettings,
    tenant_id: &str,
    user: &CachedUser,
    password: &str,
) -> Result<String, UpdateError> {
    let connection = store.connection(tenant_id, &user.connection_id).await?;
    let algorithm = connection.settings.password_hashing.algorithm();
    let owner = Owner::new(tenant_id, &connection.id);
    let deadline = Instant::now() + Duration::from_millis(connection.settings.limits.timeout_ms);
    settings
        .hashing
        .hasher(&owner, Some(deadline))
        .hash(password.to_string(), algorithm)
        .await
        .map_err(|e| UpdateError::InvalidValue {
            field: "password",
            reason: format!("could not be hashed: {e}"),
        })
}
