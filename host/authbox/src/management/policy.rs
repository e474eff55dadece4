//! The Management API field policy (docs/behaviour.md §4): the one table of which
//! user attributes a request may change, for users the custom database owns
//! and for users already migrated to authbox. Every entry point (library,
//! HTTP, CLI) asks [`check`].

use std::collections::BTreeSet;

/// Who may change an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Updatable {
    /// Any cached user: authbox owns these for every user.
    Always,
    /// Only a migrated user: authbox owns its credentials and identity.
    WhenMigrated,
    /// Never: the custom database (or authbox itself) owns it.
    Never,
}

/// Every user attribute a request may name, and who may change it. A name
/// not in this table is not a user attribute at all.
const POLICY: &[(&str, Updatable)] = &[
    ("app_metadata", Updatable::Always),
    ("blocked", Updatable::Always),
    ("user_metadata", Updatable::Always),
    ("email", Updatable::WhenMigrated),
    ("email_verified", Updatable::WhenMigrated),
    ("password", Updatable::WhenMigrated),
    ("username", Updatable::WhenMigrated),
    ("verify_email", Updatable::WhenMigrated),
    ("client_id", Updatable::Never),
    ("connection", Updatable::Never),
    ("created_at", Updatable::Never),
    ("family_name", Updatable::Never),
    ("given_name", Updatable::Never),
    ("identities", Updatable::Never),
    ("last_ip", Updatable::Never),
    ("last_login", Updatable::Never),
    ("last_password_reset", Updatable::Never),
    ("logins_count", Updatable::Never),
    ("migrated", Updatable::Never),
    ("migrated_at", Updatable::Never),
    ("name", Updatable::Never),
    ("nickname", Updatable::Never),
    ("phone_number", Updatable::Never),
    ("phone_verified", Updatable::Never),
    ("picture", Updatable::Never),
    ("updated_at", Updatable::Never),
    ("user_id", Updatable::Never),
    ("verify_phone_number", Updatable::Never),
];

/// Why a request was refused; it changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Names that are not user attributes.
    #[error("Payload validation error: 'Additional properties not allowed: {}'", .0.join(","))]
    UnknownProperties(Vec<String>),
    /// User attributes this user's attributes cannot be changed through authbox.
    #[error("The following user attributes cannot be updated: {}. {}", .fields.join(", "), reason(.migrated))]
    NotUpdatable {
        /// Every refused attribute, sorted.
        fields: Vec<String>,
        /// Whether the user is migrated (decides the reason given).
        migrated: bool,
    },
}

fn reason(migrated: &bool) -> &'static str {
    if *migrated {
        "A migrated user's profile attributes come from its first login; only user_metadata, \
         app_metadata, blocked, email, email_verified, password, username and verify_email can \
         be changed."
    } else {
        "The custom database is the source of truth for this user: change them there (they \
         reach authbox at the user's next login), or enable import mode to migrate users."
    }
}

/// Checks that a request only names attributes this user may have
/// changed. Lists every offending name, not just the first.
pub fn check<'a>(
    names: impl IntoIterator<Item = &'a str>,
    migrated: bool,
) -> Result<(), PolicyError> {
    let mut unknown = Vec::new();
    let mut refused = BTreeSet::new();
    for name in names {
        match POLICY.iter().find(|(field, _)| *field == name) {
            None => unknown.push(name.to_string()),
            Some((_, Updatable::Always)) => {}
            Some((_, Updatable::WhenMigrated)) if migrated => {}
            Some(_) => {
                refused.insert(name.to_string());
            }
        }
    }
    if !unknown.is_empty() {
        unknown.sort();
        return Err(PolicyError::UnknownProperties(unknown));
    }
    if !refused.is_empty() {
        return Err(PolicyError::NotUpdatable {
            fields: refused.into_iter().collect(),
            migrated,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// `check` of the names of a request body.
    fn check_body(body: Value, migrated: bool) -> Result<(), PolicyError> {
        check(
            body.as_object().unwrap().keys().map(String::as_str),
            migrated,
        )
    }

    #[test]
    fn a_custom_database_user_may_only_change_metadata_and_blocked() {
        let allowed = json!({"user_metadata": {}, "app_metadata": {}, "blocked": true});
        assert_eq!(check_body(allowed, false), Ok(()));
        let refused = json!({"nickname": "x", "email": "a@b.c", "user_metadata": {}});
        let error = check_body(refused, false).unwrap_err();
        assert_eq!(
            error,
            PolicyError::NotUpdatable {
                fields: vec!["email".into(), "nickname".into()],
                migrated: false
            }
        );
        assert!(error.to_string().starts_with(
            "The following user attributes cannot be updated: email, nickname. The custom database"
        ));
    }

    #[test]
    fn a_migrated_user_may_also_change_credentials_but_not_the_profile() {
        let allowed = json!({
            "email": "a@b.c", "email_verified": true, "password": "x", "username": "u",
            "verify_email": false, "blocked": false
        });
        assert_eq!(check_body(allowed, true), Ok(()));
        for field in [
            "nickname",
            "picture",
            "name",
            "given_name",
            "family_name",
            "logins_count",
        ] {
            let error = check_body(json!({ field: "x" }), true).unwrap_err();
            assert!(
                matches!(error, PolicyError::NotUpdatable { migrated: true, .. }),
                "{field}"
            );
        }
    }

    #[test]
    fn unknown_names_are_a_payload_error_listing_them_all() {
        let error = check_body(json!({"zzz": 1, "aaa": 2, "blocked": true}), true).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Payload validation error: 'Additional properties not allowed: aaa,zzz'"
        );
    }
}
