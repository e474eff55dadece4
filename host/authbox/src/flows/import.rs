//! Import mode (docs/behaviour.md §5): users move from the custom database into
//! authbox one at a time. The first successful script login stores the user
//! as migrated, with a hash of the password just entered; from then on that
//! user logs in against the local hash and the script is not called. Signup
//! and password reset of users the custom database knows go through
//! `get-user`. Only `login` and `get-user` are needed.

use serde_json::{Map, Value};

use super::{Authbox, FlowError, LoginContext, RootAttributes};
use crate::management::{UpdateSource, UserUpdate};
use crate::metrics::LoginResult;
use crate::runtime::capabilities::password::{Algorithm, needs_rehash};
use crate::runtime::profile::{NormalizedProfile, normalize};
use crate::runtime::{ActionCall, NewUser, Refusal};
use crate::store::{
    CachedUser, Connection, MigrationReason, MigrationRecord, StoreError, UserChanges,
};

impl Authbox {
    /// A login on a connection in import mode: the migrated user's local
    /// hash, else the script (and the user is migrated). Answers which.
    pub(super) async fn import_login(
        &self,
        connection: &Connection,
        username_or_email: &str,
        password: &str,
        context: &LoginContext,
    ) -> Result<(CachedUser, LoginResult), FlowError> {
        if let Some(user) = self
            .local_login(connection, username_or_email, password, context)
            .await?
        {
            return Ok((user, LoginResult::Local));
        }
        let call = ActionCall::Login {
            username_or_email: username_or_email.into(),
            password: password.into(),
        };
        let profile = self
            .call_for_profile(connection, call)
            .await?
            .ok_or(Refusal::wrong_credentials(None))?;
        let migrated = self
            .migrate(
                connection,
                &profile,
                password,
                MigrationReason::Login,
                context,
            )
            .await?;
        match migrated {
            Some(user) => Ok((user, LoginResult::Script)),
            // Migrated meanwhile (a concurrent first login), or earlier under
            // another email or username: the local copy decides.
            None => self
                .local_login(connection, username_or_email, password, context)
                .await?
                .map(|user| (user, LoginResult::Local))
                .ok_or_else(|| Refusal::wrong_credentials(Some(profile.user_id)).into()),
        }
    }

    /// Logs a migrated user in against the stored hash; `None` when the
    /// connection has no migrated user by that email or username.
    async fn local_login(
        &self,
        connection: &Connection,
        username_or_email: &str,
        password: &str,
        context: &LoginContext,
    ) -> Result<Option<CachedUser>, FlowError> {
        let found = self
            .store()
            .credentials(&connection.tenant_id, &connection.id, username_or_email)
            .await?;
        let Some(found) = found.filter(|c| c.migrated) else {
            return Ok(None);
        };
        // A user imported without a password has none until a reset.
        let hash = found.password_hash.filter(|h| !h.is_empty());
        let weak = hash.as_deref().is_some_and(needs_rehash);
        let matches = match hash {
            Some(hash) => {
                self.hasher(connection)
                    .verify(password.into(), hash)
                    .await?
            }
            None => false,
        };
        if !matches {
            return Err(Refusal::wrong_credentials(Some(found.user_id)).into());
        }
        let user = self
            .store()
            .count_login(&connection.tenant_id, &found.user_id, context.ip.as_deref())
            .await?;
        if weak {
            return Ok(Some(self.rehash(connection, user, password).await));
        }
        Ok(Some(user))
    }

    /// Replaces an imported user's fast digest by a hash of the password
    /// just checked, with the connection's algorithm. Best effort: the
    /// login stands if it fails, or if the user changed meanwhile (the
    /// next login tries again).
    async fn rehash(
        &self,
        connection: &Connection,
        user: CachedUser,
        password: &str,
    ) -> CachedUser {
        let rehashed = async {
            let changes = UserChanges {
                password_hash: Some(self.migration_hash(connection, password).await?),
                ..UserChanges::default()
            };
            let updated = self
                .store()
                .update_user(
                    &connection.tenant_id,
                    &user.user_id,
                    user.revision,
                    &changes,
                )
                .await?;
            Ok::<_, FlowError>(updated)
        };
        match rehashed.await {
            Ok(Some(updated)) => updated,
            Ok(None) => user,
            Err(error) => {
                tracing::warn!(tenant = %connection.tenant_id, %error, "an imported digest was not replaced");
                user
            }
        }
    }

    /// Stores `profile` as a migrated user with a hash of `password`;
    /// `None` if the user is already migrated (its local copy is kept).
    async fn migrate(
        &self,
        connection: &Connection,
        profile: &NormalizedProfile,
        password: &str,
        reason: MigrationReason,
        context: &LoginContext,
    ) -> Result<Option<CachedUser>, FlowError> {
        let password_hash = self.migration_hash(connection, password).await?;
        let record = MigrationRecord {
            reason,
            tenant_id: &connection.tenant_id,
            connection_id: &connection.id,
            profile,
            password_hash: &password_hash,
            ip: context.ip.as_deref(),
        };
        match self.store().record_migration(record).await {
            Ok(user) => Ok(Some(user)),
            Err(StoreError::Exists(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A hash of `password` with the connection's algorithm; argon2id for
    /// a password bcrypt would cut at 72 bytes, which the custom database
    /// accepted whole.
    async fn migration_hash(
        &self,
        connection: &Connection,
        password: &str,
    ) -> Result<String, FlowError> {
        let algorithm = connection.settings.password_hashing.algorithm();
        let algorithm = match algorithm {
            Algorithm::Bcrypt(_) if password.len() > 72 => Algorithm::Argon2id,
            other => other,
        };
        Ok(self
            .hasher(connection)
            .hash(password.into(), algorithm)
            .await?)
    }

    /// A signup on a connection in import mode: refused if authbox or the
    /// custom database (`get-user`) knows the user; else the user is
    /// created in authbox only, already migrated.
    pub(super) async fn import_signup(
        &self,
        connection: &Connection,
        user: NewUser,
        root: &RootAttributes,
        context: &LoginContext,
    ) -> Result<CachedUser, FlowError> {
        let profile = self.new_profile(connection, &user, root)?;
        for key in [Some(&user.email), user.username.as_ref()]
            .into_iter()
            .flatten()
        {
            let known = self
                .store()
                .credentials(&connection.tenant_id, &connection.id, key)
                .await?;
            if known.is_some() {
                return Err(Refusal::UserExists.into());
            }
        }
        let lookup = ActionCall::GetUser {
            email: user.email.clone(),
        };
        if self.call_for_profile(connection, lookup).await?.is_some() {
            return Err(Refusal::UserExists.into());
        }
        self.migrate(
            connection,
            &profile,
            &user.password,
            MigrationReason::Signup,
            context,
        )
        .await?
        .ok_or_else(|| Refusal::UserExists.into())
    }

    /// The profile of a user signing up, with a new id (checks the signup).
    pub(super) fn new_profile(
        &self,
        connection: &Connection,
        user: &NewUser,
        root: &RootAttributes,
    ) -> Result<NormalizedProfile, FlowError> {
        let mut attributes = Map::new();
        let mut put = |key: &str, value: Value| {
            attributes.insert(key.into(), value);
        };
        put("user_id", uuid::Uuid::new_v4().simple().to_string().into());
        put("email", user.email.clone().into());
        put("email_verified", false.into());
        if let Some(username) = &user.username {
            put("username", username.clone().into());
        }
        if let Some(phone) = &user.phone_number {
            put("phone_number", phone.clone().into());
        }
        for (key, metadata) in [
            ("user_metadata", &user.user_metadata),
            ("app_metadata", &user.app_metadata),
        ] {
            if let Some(metadata) = metadata {
                put(key, Value::Object(metadata.clone()));
            }
        }
        root.put_into(&mut attributes);
        normalize(attributes, &self.source(connection))
            .map(|normalized| normalized.profile)
            .map_err(|e| {
                Refusal::Validation {
                    code: "invalid_signup".into(),
                    message: e.to_string(),
                }
                .into()
            })
    }

    /// A password reset of a user not migrated yet (import mode): the
    /// profile from `get-user`, stored as migrated with the new password.
    pub(super) async fn migrate_with_new_password(
        &self,
        connection: &Connection,
        email: &str,
        new_password: &str,
    ) -> Result<CachedUser, FlowError> {
        let lookup = ActionCall::GetUser {
            email: email.into(),
        };
        let profile = self
            .call_for_profile(connection, lookup)
            .await?
            .ok_or_else(|| {
                FlowError::NotFound(format!("user `{email}` in the connection's database"))
            })?;
        let migrated = self
            .migrate(
                connection,
                &profile,
                new_password,
                MigrationReason::PasswordReset,
                &LoginContext::default(),
            )
            .await?;
        match migrated {
            Some(user) => Ok(user),
            // Migrated meanwhile: now a local password change.
            None => {
                let update = UserUpdate::password(new_password).checked()?;
                let (tenant_id, user_id) = (&connection.tenant_id, &profile.user_id);
                self.change_user(tenant_id, user_id, &update, UpdateSource::Request)
                    .await
            }
        }
    }
}
