//! Import mode (docs/behaviour.md §5) with the `sqlite` template: users migrate
//! at their first login, then log in against the local hash without a
//! script call (counted by the metrics), and the custom database no longer
//! speaks for them.

use serde_json::json;

use super::*;
use crate::management::UpdateError;
use crate::metrics::LoginResult;
use crate::runtime::{Action, NewUser};
use crate::store::PasswordHashing;

const ADA_ID: &str = "auth0|sqlite|1";

/// The `sqlite` template's connection, in import mode.
async fn setup_import() -> Setup {
    let s = setup_with_script().await;
    s.configure(|settings| settings.import_mode = true).await;
    s
}

impl Setup {
    fn script_calls(&self, action: Action) -> u64 {
        self.authbox.metrics().script_calls(action)
    }

    async fn patch(&self, user_id: &str, patch: Value) -> Result<CachedUser, FlowError> {
        let patch = patch.as_object().unwrap().clone();
        self.authbox
            .update_user(&self.tenant, user_id, &patch)
            .await
    }

    /// The stored password hash of the user known by `key`.
    async fn stored_hash(&self, key: &str) -> String {
        self.authbox
            .store()
            .credentials(&self.tenant, &self.connection, key)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap()
    }
}

#[tokio::test]
async fn a_user_migrates_at_first_login_then_logs_in_without_the_script() {
    let s = setup_import().await;
    let first = s.login(ADA, ADA_PASSWORD).await.unwrap();
    assert_eq!(first.user_id, ADA_ID);
    assert!(first.migrated && first.migrated_at.is_some());
    assert_eq!(first.logins_count, 1);
    assert_eq!(first.to_json()["migrated"], json!(true));
    assert_eq!(s.script_calls(Action::Login), 1);
    assert!(s.stored_hash(ADA).await.starts_with("$2b$10$"));

    // Later logins, by email in any case or by username, are local.
    let again = s.login("ADA@example.com", ADA_PASSWORD).await.unwrap();
    assert_eq!(again.logins_count, 2);
    let wrong = s.login(ADA, "not the password").await;
    assert!(
        matches!(&wrong, Err(FlowError::Refused(Refusal::WrongCredentials { user_id: Some(id), .. })) if id == ADA_ID),
        "{wrong:?}"
    );
    assert_eq!(s.script_calls(Action::Login), 1);
    let metrics = s.authbox.metrics();
    assert_eq!(
        (
            metrics.logins(LoginResult::Script),
            metrics.logins(LoginResult::Local)
        ),
        (1, 1)
    );

    // The custom database no longer speaks for a migrated user: its name
    // and password there change nothing, and there is no refresh.
    s.legacy
        .run_sql(
            "UPDATE users SET name = 'Ada King', password_hash = 'x' WHERE email = 'ada@example.com'",
        )
        .await;
    let user = s.login(ADA, ADA_PASSWORD).await.unwrap();
    assert_eq!(name(&user), &json!("Ada Lovelace"));
    assert!(matches!(
        s.authbox.refresh_user(&s.tenant, ADA_ID).await,
        Err(FlowError::Migrated(_))
    ));
    assert_eq!(s.script_calls(Action::Login), 1);
    assert_eq!(s.script_calls(Action::GetUser), 0);
}

#[tokio::test]
async fn a_migrated_users_email_and_password_are_authboxs_to_change() {
    let s = setup_import().await;
    s.login(ADA, ADA_PASSWORD).await.unwrap();
    s.login("grace", "hopper1906").await.unwrap();

    // Profile attributes stay refused, listed together.
    let refused = s.patch(
        ADA_ID,
        json!({"picture": "https://x.test/a.png", "name": "A"}),
    );
    let Err(FlowError::Update(error)) = refused.await else {
        panic!("picture and name were accepted");
    };
    assert!(
        error
            .to_string()
            .starts_with("The following user attributes cannot be updated: name, picture."),
        "{error}"
    );
    // Another user's email or username is taken; a bad email is refused.
    let taken = s.patch(ADA_ID, json!({"email": "GRACE@example.com"})).await;
    assert!(
        matches!(&taken, Err(FlowError::Update(UpdateError::Taken("email")))),
        "{taken:?}"
    );
    let taken = s.patch(ADA_ID, json!({"username": "grace"})).await;
    assert!(matches!(
        &taken,
        Err(FlowError::Update(UpdateError::Taken("username")))
    ));
    let invalid = s.patch(ADA_ID, json!({"email": "not-an-email"})).await;
    assert!(matches!(
        &invalid,
        Err(FlowError::Update(UpdateError::InvalidValue {
            field: "email",
            ..
        }))
    ));

    // Email (then unverified), username and password, in one update.
    let user = s
        .patch(
            ADA_ID,
            json!({"email": "countess@example.com", "username": "countess", "password": "new secret 1815", "verify_email": false}),
        )
        .await
        .unwrap();
    assert_eq!(user.attributes["email"], json!("countess@example.com"));
    assert_eq!(user.attributes["email_verified"], json!(false));
    assert_eq!(user.attributes["username"], json!("countess"));
    assert!(user.last_password_reset.is_some());
    assert_eq!(
        s.authbox
            .users_by_email(&s.tenant, "Countess@example.com")
            .await
            .unwrap()
            .len(),
        1
    );
    // The new password logs in, by the new email or username; the old does not.
    s.login("countess@example.com", "new secret 1815")
        .await
        .unwrap();
    s.login("countess", "new secret 1815").await.unwrap();
    assert!(matches!(
        s.login("countess", ADA_PASSWORD).await,
        Err(FlowError::Refused(Refusal::WrongCredentials { .. }))
    ));
    assert_eq!(s.script_calls(Action::Login), 2);

    // The library's own flows do the same for a migrated user, no script.
    let verified = s.authbox.verify_email(&s.tenant, ADA_ID).await.unwrap();
    assert_eq!(verified.attributes["email_verified"], json!(true));
    s.authbox
        .change_password(&s.tenant, ADA_ID, "third 1852")
        .await
        .unwrap();
    s.login("countess", "third 1852").await.unwrap();
    let moved = s
        .authbox
        .change_email(&s.tenant, ADA_ID, "ada@lovelace.test", true)
        .await
        .unwrap();
    assert_eq!(moved.attributes["email"], json!("ada@lovelace.test"));
    assert_eq!(s.script_calls(Action::Verify), 0);
    assert_eq!(s.script_calls(Action::ChangePassword), 0);
    assert_eq!(s.script_calls(Action::ChangeEmail), 0);
}

#[tokio::test]
async fn a_deleted_migrated_user_is_migrated_again_at_next_login() {
    let s = setup_import().await;
    let first = s.login(ADA, ADA_PASSWORD).await.unwrap();
    s.patch(ADA_ID, json!({"user_metadata": {"colour": "teal"}}))
        .await
        .unwrap();
    s.authbox.delete_user(&s.tenant, ADA_ID).await.unwrap();
    assert_eq!(s.script_calls(Action::Delete), 0);
    assert!(matches!(
        s.authbox.get_user(&s.tenant, ADA_ID).await,
        Err(FlowError::NotFound(_))
    ));

    // The custom database still has Ada: the next login migrates her again,
    // as a new user (the metadata set through authbox went with the copy).
    let again = s.login(ADA, ADA_PASSWORD).await.unwrap();
    assert_eq!(s.script_calls(Action::Login), 2);
    assert!(again.migrated);
    assert_eq!(again.logins_count, 1);
    assert_eq!(again.user_metadata, first.user_metadata);
    assert!(!again.user_metadata.contains_key("colour"));
}

#[tokio::test]
async fn a_user_cached_before_import_mode_keeps_its_metadata_when_migrated() {
    let s = setup_with_script().await;
    s.login(ADA, ADA_PASSWORD).await.unwrap();
    s.patch(ADA_ID, json!({"app_metadata": {"plan": "enterprise"}}))
        .await
        .unwrap();
    s.configure(|settings| settings.import_mode = true).await;
    let migrated = s.login(ADA, ADA_PASSWORD).await.unwrap();
    assert!(migrated.migrated);
    assert_eq!(migrated.logins_count, 2);
    assert_eq!(migrated.app_metadata["plan"], json!("enterprise"));
}

#[tokio::test]
async fn signup_asks_get_user_then_creates_the_user_in_authbox_only() {
    let s = setup_import().await;
    let new_user = |email: &str| NewUser {
        email: email.into(),
        password: "s3cure enough".into(),
        username: Some("newbie".into()),
        phone_number: None,
        user_metadata: Some(json!({"lang": "fr"}).as_object().unwrap().clone()),
        app_metadata: None,
    };
    let ctx = LoginContext::default();
    let none = RootAttributes::default();
    let signup = |email: &'static str| {
        s.authbox
            .signup(&s.tenant, "legacy", new_user(email), &none, &ctx)
    };
    // The custom database knows Ada: user exists, nothing created.
    assert!(matches!(
        signup(ADA).await,
        Err(FlowError::Refused(Refusal::UserExists))
    ));
    assert_eq!(s.script_calls(Action::GetUser), 1);

    let created = signup("new@example.com").await.unwrap();
    assert!(created.user_id.starts_with("auth0|"));
    assert!(created.migrated);
    assert_eq!(created.logins_count, 0);
    assert_eq!(created.attributes["email_verified"], json!(false));
    assert_eq!(created.user_metadata["lang"], json!("fr"));
    assert_eq!(s.script_calls(Action::Create), 0);
    // Only in authbox: the custom database does not have the user.
    let rows = s
        .legacy
        .count("SELECT COUNT(*) FROM users WHERE email = 'new@example.com'")
        .await;
    assert_eq!(rows, 0);
    // It logs in locally, and cannot sign up twice.
    let user = s.login("newbie", "s3cure enough").await.unwrap();
    assert_eq!(user.logins_count, 1);
    assert_eq!(s.script_calls(Action::Login), 0);
    assert!(matches!(
        signup("NEW@example.com").await,
        Err(FlowError::Refused(Refusal::UserExists))
    ));

    // Root attributes are the user's own here: kept, checked as a
    // profile's, and kept through a login.
    let root = RootAttributes {
        given_name: Some("Nova".into()),
        family_name: Some("Root".into()),
        name: Some("Nova Root".into()),
        picture: Some("https://example.com/nova.png".into()),
        nickname: None,
    };
    let mut nova = new_user("nova@example.com");
    nova.username = None;
    let created = s
        .authbox
        .signup(&s.tenant, "legacy", nova, &root, &ctx)
        .await
        .unwrap();
    let attribute = |user: &CachedUser, key: &str| user.attributes[key].clone();
    assert_eq!(attribute(&created, "given_name"), json!("Nova"));
    assert_eq!(attribute(&created, "name"), json!("Nova Root"));
    assert_eq!(attribute(&created, "nickname"), json!("nova"));
    let user = s.login("nova@example.com", "s3cure enough").await.unwrap();
    assert_eq!(attribute(&user, "family_name"), json!("Root"));
    assert_eq!(
        attribute(&user, "picture"),
        json!("https://example.com/nova.png")
    );
    let bad = RootAttributes {
        picture: Some("ftp://example.com/x.png".into()),
        given_name: Some("x".repeat(151)),
        ..RootAttributes::default()
    };
    let refused = s
        .authbox
        .signup(&s.tenant, "legacy", new_user("bad@example.com"), &bad, &ctx)
        .await;
    assert!(
        matches!(&refused, Err(FlowError::Refused(Refusal::Validation { code, .. })) if code == "invalid_signup"),
        "{refused:?}"
    );
    assert!(s.login("bad@example.com", "s3cure enough").await.is_err());
}

#[tokio::test]
async fn a_password_reset_migrates_a_user_with_the_new_password() {
    let s = setup_import().await;
    s.configure(|settings| settings.password_hashing = PasswordHashing::Argon2id)
        .await;
    // Grace has never logged in: get-user finds her, she is migrated with
    // the new password, and the custom database keeps its own.
    let grace = s
        .authbox
        .reset_password(&s.tenant, "legacy", "grace@example.com", "a new one 1906")
        .await
        .unwrap()
        .unwrap();
    assert!(grace.migrated && grace.last_password_reset.is_some());
    assert_eq!(grace.logins_count, 0);
    assert!(s.stored_hash("grace").await.starts_with("$argon2id$"));
    s.login("grace", "a new one 1906").await.unwrap();
    assert!(matches!(
        s.login("grace", "hopper1906").await,
        Err(FlowError::Refused(Refusal::WrongCredentials { .. }))
    ));
    assert_eq!(s.script_calls(Action::Login), 0);
    assert_eq!(s.script_calls(Action::ChangePassword), 0);
    // Someone the custom database does not know.
    assert!(matches!(
        s.authbox
            .reset_password(&s.tenant, "legacy", "nobody@example.com", "x")
            .await,
        Err(FlowError::NotFound(_))
    ));
}
