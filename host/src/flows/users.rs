//! Flows on one cached user that go through the custom database first
//! (import mode off): the script makes the change there, then the cache
//! follows. A `false` from the script changes nothing.

use serde_json::Value;

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

    /// Sets a new password in the custom database (`change-password`); the
    /// cache records when.
    pub async fn change_password(
        &self,
        tenant_id: &str,
        user_id: &str,
        new_password: &str,
    ) -> Result<CachedUser, FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
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

    /// Changes the user's email in the custom database (`change-email`),
    /// then in the cache.
    pub async fn change_email(
        &self,
        tenant_id: &str,
        user_id: &str,
        new_email: &str,
        verified: bool,
    ) -> Result<CachedUser, FlowError> {
        let (user, connection) = self.user_and_connection(tenant_id, user_id).await?;
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
    /// custom database, then the cache forgets it.
    pub async fn delete_user(&self, tenant_id: &str, user_id: &str) -> Result<(), FlowError> {
        let user = self.store().user(tenant_id, user_id).await?;
        let connection = self
            .store()
            .connection(tenant_id, &user.connection_id)
            .await?;
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
}

/// The email the scripts know the user by.
fn email_of(user: &CachedUser) -> Result<String, FlowError> {
    user.attributes
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| FlowError::UnknownUser(format!("{} (no email)", user.user_id)))
}
