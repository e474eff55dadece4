//! Flows on one cached user. For a user the custom database owns, the
//! script makes the change there, then the cache follows (a `false` from
//! the script changes nothing). A user migrated by import mode is authbox's
//! own: the change is made here, through the same update as a Management API
//! PATCH, and no script is called.

use serde_json::{Map, Value};

use super::{Authbox, FlowError};
use crate::runtime::ActionCall;
use crate::store::{CachedUser, Connection, UserChanges, now};

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

    /// Writes `change` of the latest cached copy, retrying if another write
    /// comes between the read and this one.
    async fn change_cached(
        &self,
        tenant_id: &str,
        user_id: &str,
        change: impl Fn(&CachedUser) -> UserChanges,
    ) -> Result<CachedUser, FlowError> {
        let _turn = self.inner.user_locks.lock(tenant_id, user_id).await;
        loop {
            let user = self.store().user(tenant_id, user_id).await?;
            let changes = change(&user);
            if let Some(updated) = self
                .store()
                .update_user(tenant_id, user_id, user.revision, &changes)
                .await?
            {
                return Ok(updated);
            }
        }
    }

    /// Marks the user's email verified: the `verify` script, then the cache.
    pub async fn verify_email(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<CachedUser, FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
        if user.migrated {
            return self
                .update_user(
                    tenant_id,
                    user_id,
                    &patch([("email_verified", true.into())]),
                )
                .await;
        }
        let email = email_of(&user)?;
        self.call_for_yes(&connection, ActionCall::Verify { email })
            .await?;
        self.change_cached(tenant_id, user_id, |cached| {
            let mut attributes = cached.attributes.clone();
            attributes.insert("email_verified".into(), Value::Bool(true));
            UserChanges {
                attributes: Some(attributes),
                ..UserChanges::default()
            }
        })
        .await
    }

    /// Sets a new password: a migrated user's here; in import mode, a user
    /// not migrated yet is migrated with it (from `get-user`); else in the
    /// custom database (`change-password`). The cache records when.
    pub async fn change_password(
        &self,
        tenant_id: &str,
        user_id: &str,
        new_password: &str,
    ) -> Result<CachedUser, FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
        if user.migrated {
            return self
                .update_user(
                    tenant_id,
                    user_id,
                    &patch([("password", new_password.into())]),
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
        let at = now();
        self.change_cached(tenant_id, user_id, |_| UserChanges {
            last_password_reset: Some(at.clone()),
            ..UserChanges::default()
        })
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
        if user.migrated {
            let change = patch([
                ("email", new_email.into()),
                ("email_verified", verified.into()),
            ]);
            return self.update_user(tenant_id, user_id, &change).await;
        }
        let call = ActionCall::ChangeEmail {
            email: email_of(&user)?,
            new_email: new_email.into(),
            verified,
        };
        self.call_for_yes(&connection, call).await?;
        self.change_cached(tenant_id, user_id, |cached| {
            let mut attributes = cached.attributes.clone();
            attributes.insert("email".into(), Value::String(new_email.into()));
            attributes.insert("email_verified".into(), Value::Bool(verified));
            UserChanges {
                attributes: Some(attributes),
                ..UserChanges::default()
            }
        })
        .await
    }

    /// Deletes a user: the connection's `delete` script removes it from the
    /// custom database, then the cache forgets it. A migrated user's local
    /// copy only is removed: if the custom database still has the user, the
    /// next login migrates it again.
    pub async fn delete_user(&self, tenant_id: &str, user_id: &str) -> Result<(), FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
        if user.migrated {
            return Ok(self.store().delete_user(tenant_id, user_id).await?);
        }
        // The script's own id: the cached id without the provider prefix.
        let returned_id = user_id
            .strip_prefix(&format!("{}|", self.inner.provider))
            .unwrap_or(user_id)
            .to_string();
        self.call_for_profile(
            &connection,
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
            return self
                .migrate_with_new_password(&connection, email, new_password)
                .await
                .map(Some);
        }
        let call = ActionCall::ChangePassword {
            email: email.into(),
            new_password: new_password.into(),
        };
        self.call_for_yes(&connection, call).await?;
        Ok(None)
    }
}

/// A patch of these attributes.
fn patch<const N: usize>(values: [(&str, Value); N]) -> Map<String, Value> {
    values
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The email the scripts know the user by.
fn email_of(user: &CachedUser) -> Result<String, FlowError> {
    user.attributes
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| FlowError::NotFound(format!("email of user `{}`", user.user_id)))
}
