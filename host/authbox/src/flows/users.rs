//! Flows on one cached user. For a user the custom database owns, the
//! script makes the change there, then the cache follows (a `false` from
//! the script changes nothing). A user migrated by import mode is authbox's
//! own: the change is made here, checked as a Management API PATCH is, and
//! no script is called. Either way the cache is written by one typed
//! [`UserUpdate`] through the one loop of `management::change_user`.

use serde_json::Value;

use super::{Authbox, FlowError, events};
use crate::management::{self, UpdateSource, UserUpdate};
use crate::runtime::ActionCall;
use crate::store::{CachedUser, Connection};

impl Authbox {
    /// The cached user and its connection.
    async fn user_and_connection(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<(CachedUser, Connection), FlowError> {
        let user = self.store().user(tenant_id, user_id).await?;
        let connection = self
            .store()
            .connection(tenant_id, &user.connection_id)
            .await?;
        Ok((user, connection))
    }

    /// Writes `update` into the cached user, in the user's turn.
    pub(super) async fn change_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        update: &UserUpdate,
        source: UpdateSource,
    ) -> Result<CachedUser, FlowError> {
        let _turn = self.inner.user_locks.lock(tenant_id, user_id).await;
        let settings = &self.inner.update;
        let changed =
            management::change_user(self.store(), settings, tenant_id, user_id, update, source);
        Ok(changed.await?)
    }

    /// Marks the user's email verified: the `verify` script, then the cache.
    pub async fn verify_email(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<CachedUser, FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
        let verified = UserUpdate {
            email_verified: Some(true),
            ..UserUpdate::default()
        };
        if user.migrated {
            return self
                .change_user(tenant_id, user_id, &verified, UpdateSource::Request)
                .await;
        }
        let email = email_of(&user)?;
        self.call_for_yes(&connection, ActionCall::Verify { email })
            .await?;
        self.change_user(tenant_id, user_id, &verified, UpdateSource::CustomDatabase)
            .await
    }

    /// Sets a new password: a migrated user's here; in import mode, a user
    /// not migrated yet is migrated with it (from `get-user`); else in the
    /// custom database (`change-password`). The cache records when. A new
    /// password lifts the user's brute-force blocks.
    pub async fn change_password(
        &self,
        tenant_id: &str,
        user_id: &str,
        new_password: &str,
    ) -> Result<CachedUser, FlowError> {
        let changed = self.set_password(tenant_id, user_id, new_password).await?;
        self.unblock_after_reset(tenant_id, &changed).await;
        Ok(changed)
    }

    async fn set_password(
        &self,
        tenant_id: &str,
        user_id: &str,
        new_password: &str,
    ) -> Result<CachedUser, FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
        let update = UserUpdate::password(new_password);
        if user.migrated {
            return self
                .change_user(
                    tenant_id,
                    user_id,
                    &update.checked()?,
                    UpdateSource::Request,
                )
                .await;
        }
        if connection.settings.import_mode {
            return self
                .migrate_with_new_password(&connection, &email_of(&user)?, new_password)
                .await;
        }
        let call = ActionCall::ChangePassword {
            email: email_of(&user)?,
            new_password: new_password.into(),
        };
        self.call_for_yes(&connection, call).await?;
        self.change_user(tenant_id, user_id, &update, UpdateSource::CustomDatabase)
            .await
    }

    /// Changes the user's email: a migrated user's here (refused if another
    /// user of the connection has it), any other user's in the custom
    /// database (`change-email`), then in the cache.
    pub async fn change_email(
        &self,
        tenant_id: &str,
        user_id: &str,
        new_email: &str,
        verified: bool,
    ) -> Result<CachedUser, FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
        let update = UserUpdate::email(new_email, verified);
        if user.migrated {
            return self
                .change_user(
                    tenant_id,
                    user_id,
                    &update.checked()?,
                    UpdateSource::Request,
                )
                .await;
        }
        let call = ActionCall::ChangeEmail {
            email: email_of(&user)?,
            new_email: new_email.into(),
            verified,
        };
        self.call_for_yes(&connection, call).await?;
        self.change_user(tenant_id, user_id, &update, UpdateSource::CustomDatabase)
            .await
    }

    /// Deletes a user: the connection's `delete` script removes it from the
    /// custom database, then the cache forgets it. A migrated user's local
    /// copy only is removed: if the custom database still has the user, the
    /// next login migrates it again.
    pub async fn delete_user(&self, tenant_id: &str, user_id: &str) -> Result<(), FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
        let deletion = self.delete_cached(tenant_id, user_id, &user, &connection);
        let (result, calls) = events::with_script_calls(deletion).await;
        if result.is_ok() {
            self.log_deletion(tenant_id, &user, &connection.name, calls);
        }
        result
    }

    async fn delete_cached(
        &self,
        tenant_id: &str,
        user_id: &str,
        user: &CachedUser,
        connection: &Connection,
    ) -> Result<(), FlowError> {
        if user.migrated {
            return Ok(self.store().delete_user(tenant_id, user_id).await?);
        }
        // The script's own id: the cached id without the provider prefix.
        let returned_id = user_id
            .strip_prefix(&format!("{}|", self.inner.provider))
            .unwrap_or(user_id)
            .to_string();
        self.call_for_profile(
            connection,
            ActionCall::Delete {
                user_id: returned_id,
            },
        )
        .await?;
        Ok(self.store().delete_user(tenant_id, user_id).await?)
    }

    /// A password reset by email (e.g. from a "forgot password" link): the
    /// cached user's [`change_password`](Self::change_password); in import
    /// mode, a user authbox does not have yet is found with `get-user` and
    /// migrated with the new password. Import mode off, a user never logged
    /// in is changed in the custom database only: `None`.
    pub async fn reset_password(
        &self,
        tenant_id: &str,
        connection_name: &str,
        email: &str,
        new_password: &str,
    ) -> Result<Option<CachedUser>, FlowError> {
        let connection = self
            .inner
            .loaded
            .by_name(self.store(), tenant_id, connection_name)
            .await?;
        let cached = self
            .store()
            .credentials(tenant_id, &connection.id, email)
            .await?;
        if let Some(cached) = cached {
            return self
                .change_password(tenant_id, &cached.user_id, new_password)
                .await
                .map(Some);
        }
        if connection.settings.import_mode {
            let migrated = self
                .migrate_with_new_password(&connection, email, new_password)
                .await?;
            self.unblock_after_reset(tenant_id, &migrated).await;
            return Ok(Some(migrated));
        }
        let call = ActionCall::ChangePassword {
            email: email.into(),
            new_password: new_password.into(),
        };
        self.call_for_yes(&connection, call).await?;
        self.unblock_email_after_reset(tenant_id, &connection.name, email)
            .await;
        Ok(None)
    }
}

/// The email the scripts know the user by.
pub(super) fn email_of(user: &CachedUser) -> Result<String, FlowError> {
    user.attributes
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| FlowError::NotFound(format!("email of user `{}`", user.user_id)))
}
