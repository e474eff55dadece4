//! [`UserUpdate`]: one typed change of a cached user. A PATCH body is
//! parsed into it once; the flows that change a user (a verified or changed
//! email, a new password) build it directly.

use std::fmt;

use serde_json::{Map, Value};

use super::UpdateError;
use super::merge::{check_size, merge, metadata_update};
use crate::runtime::profile::{check_email, check_length};
use crate::store::{CachedUser, UserChanges};

/// The longest username (as profiles allow).
const MAX_USERNAME_CHARS: usize = 128;

/// The longest password a request may set.
const MAX_PASSWORD_CHARS: usize = 1024;

/// What to change of a cached user; `None` leaves an attribute as it is.
#[derive(Clone, Default, PartialEq)]
pub(crate) struct UserUpdate {
    /// Merged into the cached `user_metadata` (docs/behaviour.md §4).
    pub user_metadata: Option<Map<String, Value>>,
    /// Merged into the cached `app_metadata`.
    pub app_metadata: Option<Map<String, Value>>,
    /// Blocks or unblocks logins.
    pub blocked: Option<bool>,
    /// A new email: unverified unless `email_verified` says otherwise.
    pub email: Option<String>,
    /// Whether the email is verified.
    pub email_verified: Option<bool>,
    /// A new username.
    pub username: Option<String>,
    /// A new password: hashed for a migrated user; for any other user the
    /// custom database has it, and the cache records when.
    pub password: Option<String>,
    /// Asks for a verification mail, which authbox does not send: checked,
    /// and no other effect.
    pub verify_email: Option<bool>,
}

impl fmt::Debug for UserUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserUpdate")
            .field("names", &self.names().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl UserUpdate {
    /// Parses a PATCH body whose names the field policy has accepted: each
    /// value of the type and form its attribute needs (the first wrong one
    /// is named: metadata, `blocked`, then the credentials).
    pub(crate) fn parse(patch: &Map<String, Value>) -> Result<Self, UpdateError> {
        let metadata = |field: &str| {
            patch
                .get(field)
                .map(|value| metadata_update(value, field))
                .transpose()
        };
        Ok(UserUpdate {
            user_metadata: metadata("user_metadata")?,
            app_metadata: metadata("app_metadata")?,
            blocked: boolean(patch, "blocked")?,
            email: string(patch, "email")?,
            email_verified: boolean(patch, "email_verified")?,
            username: string(patch, "username")?,
            verify_email: boolean(patch, "verify_email")?,
            password: string(patch, "password")?,
        })
    }

    /// A new email, and whether it is verified.
    pub(crate) fn email(email: &str, verified: bool) -> Self {
        UserUpdate {
            email: Some(email.into()),
            email_verified: Some(verified),
            ..UserUpdate::default()
        }
    }

    /// A new password.
    pub(crate) fn password(password: &str) -> Self {
        UserUpdate {
            password: Some(password.into()),
            ..UserUpdate::default()
        }
    }

    /// `self`, if its email, username and password have the form a
    /// request's must have (as [`parse`](Self::parse) checks them).
    pub(crate) fn checked(self) -> Result<Self, UpdateError> {
        let credentials = [
            ("email", &self.email),
            ("username", &self.username),
            ("password", &self.password),
        ];
        for (field, value) in credentials {
            if let Some(value) = value {
                check_form(field, value)?;
            }
        }
        Ok(self)
    }

    /// The attributes it changes, for the field policy.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> {
        [
            ("user_metadata", self.user_metadata.is_some()),
            ("app_metadata", self.app_metadata.is_some()),
            ("blocked", self.blocked.is_some()),
            ("email", self.email.is_some()),
            ("email_verified", self.email_verified.is_some()),
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
            ("verify_email", self.verify_email.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
    }

    /// What it writes over `user` (all but a new password's hash), or why
    /// the metadata would be too large.
    pub(crate) fn changes(
        &self,
        user: &CachedUser,
        max_metadata_bytes: usize,
    ) -> Result<UserChanges, UpdateError> {
        let changes = UserChanges {
            user_metadata: self
                .user_metadata
                .as_ref()
                .map(|update| merge(&user.user_metadata, update)),
            app_metadata: self
                .app_metadata
                .as_ref()
                .map(|update| merge(&user.app_metadata, update)),
            blocked: self.blocked,
            attributes: self.attributes(user),
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

    /// The user's new script-sourced attributes, if the update changes
    /// any: a new email is unverified unless the update says otherwise, as
    /// in Auth0.
    fn attributes(&self, user: &CachedUser) -> Option<Map<String, Value>> {
        if self.email.is_none() && self.email_verified.is_none() && self.username.is_none() {
            return None;
        }
        let mut attributes = user.attributes.clone();
        if let Some(email) = &self.email {
            if attributes.get("email").and_then(Value::as_str) != Some(email) {
                attributes.insert("email_verified".into(), Value::Bool(false));
            }
            attributes.insert("email".into(), Value::String(email.clone()));
        }
        if let Some(verified) = self.email_verified {
            attributes.insert("email_verified".into(), Value::Bool(verified));
        }
        if let Some(username) = &self.username {
            attributes.insert("username".into(), Value::String(username.clone()));
        }
        Some(attributes)
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

fn string(patch: &Map<String, Value>, field: &'static str) -> Result<Option<String>, UpdateError> {
    match patch.get(field) {
        None => Ok(None),
        Some(Value::String(value)) => check_form(field, value).map(|()| Some(value.clone())),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

/// The form a request's `email`, `username` or `password` must have.
fn check_form(field: &'static str, value: &str) -> Result<(), UpdateError> {
    let checked = match field {
        "email" => check_email(value),
        "username" => check_length(value, MAX_USERNAME_CHARS),
        "password" => check_length(value, MAX_PASSWORD_CHARS),
        _ => Ok(()),
    };
    checked.map_err(|reason| invalid(field, reason))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::management::MetadataError;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn user(attributes: Value) -> CachedUser {
        CachedUser {
            user_id: "auth0|legacy|1".into(),
            connection_id: "c".into(),
            attributes: body(attributes),
            user_metadata: body(json!({"theme": "dark", "lang": "en"})),
            app_metadata: Map::new(),
            blocked: false,
            created_at: String::new(),
            updated_at: String::new(),
            last_login: None,
            last_ip: None,
            logins_count: 1,
            last_password_reset: None,
            migrated: true,
            migrated_at: None,
            revision: 1,
        }
    }

    fn invalid_field(error: UpdateError) -> &'static str {
        match error {
            UpdateError::InvalidValue { field, .. } => field,
            other => panic!("not an invalid value: {other}"),
        }
    }

    #[test]
    fn a_body_is_parsed_into_typed_values_and_names_what_it_sets() {
        let update = UserUpdate::parse(&body(json!({
            "user_metadata": {"theme": null}, "blocked": true, "email": "a@b.example",
            "verify_email": false, "password": "correct horse"
        })))
        .unwrap();
        assert_eq!(update.user_metadata, Some(body(json!({"theme": null}))));
        assert_eq!(update.blocked, Some(true));
        assert_eq!(update.email.as_deref(), Some("a@b.example"));
        assert_eq!(update.password.as_deref(), Some("correct horse"));
        assert_eq!(
            update.names().collect::<Vec<_>>(),
            [
                "user_metadata",
                "blocked",
                "email",
                "password",
                "verify_email"
            ]
        );
        assert!(!format!("{update:?}").contains("correct horse"));
    }

    #[test]
    fn the_first_wrong_value_is_named_metadata_then_blocked_then_credentials() {
        let wrong = |value| invalid_field(UserUpdate::parse(&body(value)).unwrap_err());
        assert_eq!(wrong(json!({"blocked": "yes", "email": "nope"})), "blocked");
        assert_eq!(
            wrong(json!({"email": "nope", "email_verified": 1})),
            "email"
        );
        assert_eq!(wrong(json!({"username": "", "password": 5})), "username");
        assert_eq!(wrong(json!({"verify_email": "no"})), "verify_email");
        assert_eq!(wrong(json!({"password": "x".repeat(1025)})), "password");
        assert!(matches!(
            UserUpdate::parse(&body(json!({"blocked": 1, "user_metadata": []}))),
            Err(UpdateError::Metadata(_))
        ));
    }

    #[test]
    fn a_flows_update_is_checked_as_a_requests_would_be() {
        let bad_email = UserUpdate::email("not an email", true).checked();
        assert_eq!(invalid_field(bad_email.unwrap_err()), "email");
        let long = UserUpdate::password(&"x".repeat(1025)).checked();
        assert_eq!(invalid_field(long.unwrap_err()), "password");
        let fine = UserUpdate::email("ada@lovelace.example", false);
        assert_eq!(fine.clone().checked().unwrap(), fine);
    }

    #[test]
    fn a_new_email_is_unverified_unless_the_update_says_so() {
        let ada = user(json!({"email": "ada@example.com", "email_verified": true}));
        let changes = |update: UserUpdate| update.changes(&ada, 16 << 10).unwrap().attributes;
        let moved = changes(UserUpdate {
            email: Some("ada@lovelace.example".into()),
            ..UserUpdate::default()
        })
        .unwrap();
        assert_eq!(moved["email"], json!("ada@lovelace.example"));
        assert_eq!(moved["email_verified"], json!(false));
        let same = changes(UserUpdate {
            email: Some("ada@example.com".into()),
            ..UserUpdate::default()
        })
        .unwrap();
        assert_eq!(same["email_verified"], json!(true));
        let said = changes(UserUpdate::email("ada@lovelace.example", true)).unwrap();
        assert_eq!(said["email_verified"], json!(true));
        let metadata_only = UserUpdate {
            user_metadata: Some(body(json!({"theme": null}))),
            ..UserUpdate::default()
        };
        let written = metadata_only.changes(&ada, 16 << 10).unwrap();
        assert_eq!(written.attributes, None);
        assert_eq!(written.user_metadata, Some(body(json!({"lang": "en"}))));
        assert!(matches!(
            metadata_only.changes(&ada, 5),
            Err(UpdateError::Metadata(MetadataError::TooLarge { .. }))
        ));
    }
}
