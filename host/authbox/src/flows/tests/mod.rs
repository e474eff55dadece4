//! The flows with the `sqlite` template against a legacy SQLite database,
//! on a SQLite store: the cache semantics of docs/behaviour.md §3 here, import
//! mode and connection limits beside.

mod import;
mod jobs;
mod limits;
mod protection;

use serde_json::{Value, json};

use super::*;
use crate::runtime::report::Outcome;
use crate::search::{UserSearch, parse};
use crate::store::{ConnectionSettings, SecretKey, SecretKeySource, StoreError};
use authbox_tests::legacy::{Backend, LegacyDb};

const ADA: &str = "ada@example.com";
const ADA_PASSWORD: &str = "correct horse battery staple";

struct Setup {
    authbox: Authbox,
    tenant: String,
    connection: String,
    legacy: LegacyDb,
    dir: tempfile::TempDir,
    /// The PostgreSQL schema holding the store, if not SQLite.
    store_schema: Option<LegacyDb>,
    /// The store's secret key, for another `Authbox` on it.
    secret_key: SecretKeySource,
}

/// A legacy SQLite database with the template's seed, and authbox on a
/// SQLite store.
async fn setup() -> Setup {
    setup_on(None).await
}

/// [`setup`] with the `sqlite` template uploaded and active.
async fn setup_with_script() -> Setup {
    let s = setup().await;
    s.upload(authbox_tests::SQLITE).await;
    s
}

impl Setup {
    /// The tenant's log events so far, oldest first.
    async fn events(&self) -> Vec<crate::logs::LogEvent> {
        self.authbox.flush_logs().await;
        let every = crate::logs::LogSearch {
            query: None,
            user_id: None,
            page: crate::logs::LogPage::Checkpoint {
                from: None,
                take: 100,
            },
            include_totals: false,
        };
        self.authbox.logs(&self.tenant, &every).await.unwrap().0
    }

    /// Uploads and activates the component at `path`.
    async fn upload(&self, path: &str) {
        let wasm = std::fs::read(path).unwrap();
        self.authbox
            .upload_script(&self.tenant, &self.connection, &wasm)
            .await
            .unwrap();
    }

    /// Changes the connection's settings.
    async fn configure(&self, change: impl FnOnce(&mut ConnectionSettings)) {
        let store = self.authbox.store();
        let mut settings = store
            .connection(&self.tenant, &self.connection)
            .await
            .unwrap()
            .settings;
        change(&mut settings);
        self.authbox
            .update_connection(&self.tenant, &self.connection, &settings)
            .await
            .unwrap();
    }

    /// Logs in through the `legacy` connection.
    async fn login(&self, user: &str, password: &str) -> Result<CachedUser, FlowError> {
        self.authbox
            .login(
                &self.tenant,
                "legacy",
                user,
                password,
                &LoginContext::default(),
            )
            .await
    }
}

/// The same with the store in `store` (a fresh PostgreSQL schema), if given.
async fn setup_on(store: Option<LegacyDb>) -> Setup {
    let legacy = LegacyDb::seeded(Backend::Sqlite, "flows").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authbox.db");
    let mut config = AuthboxConfig::sqlite(path.to_str().unwrap());
    if let Some(db) = &store {
        config.store_url = db.url.clone();
        config.secret_key = SecretKeySource::Key(SecretKey::generate());
    }
    let secret_key = config.secret_key.clone();
    let authbox = Authbox::open(config).await.unwrap();
    let tenant = authbox.store().create_tenant("acme").await.unwrap();
    let mut settings = ConnectionSettings::default();
    settings
        .datasources
        .insert("users".into(), legacy.url.clone());
    let connection = authbox
        .create_connection(&tenant.id, "legacy", &settings)
        .await
        .unwrap();
    Setup {
        authbox,
        tenant: tenant.id,
        connection: connection.id,
        legacy,
        dir,
        store_schema: store,
        secret_key,
    }
}

fn name(user: &CachedUser) -> &Value {
    &user.attributes["name"]
}

#[tokio::test]
async fn the_cache_follows_the_legacy_database_at_each_login_and_refresh() {
    cache_follows_the_legacy_database(&setup().await).await;
}

#[tokio::test]
async fn the_cache_on_postgres_follows_the_legacy_database() {
    if let Some(store) = LegacyDb::empty(Backend::Postgres, "flows_on_postgres").await {
        let s = setup_on(Some(store)).await;
        cache_follows_the_legacy_database(&s).await;
        if let Some(store) = s.store_schema {
            store.drop().await;
        }
    }
}

async fn cache_follows_the_legacy_database(s: &Setup) {
    let ctx = LoginContext {
        ip: Some("198.51.100.7".into()),
        ..LoginContext::default()
    };
    let login = |password: &'static str| s.authbox.login(&s.tenant, "legacy", ADA, password, &ctx);
    assert!(matches!(
        login(ADA_PASSWORD).await,
        Err(FlowError::NoScript(_))
    ));

    let wasm = std::fs::read(authbox_tests::SQLITE).unwrap();
    let version = s
        .authbox
        .upload_script(&s.tenant, &s.connection, &wasm)
        .await
        .unwrap();
    assert_eq!(
        (version.version, version.active, version.actions.len()),
        (1, true, 7)
    );

    let user = login(ADA_PASSWORD).await.unwrap();
    assert_eq!(user.user_id, "auth0|sqlite|1");
    assert_eq!(name(&user), &json!("Ada Lovelace"));
    assert_eq!(
        (user.logins_count, user.last_ip.as_deref()),
        (1, Some("198.51.100.7"))
    );
    assert_eq!(user.app_metadata["plan"], json!("pro"));

    // An edit in the legacy database is not seen until the next login.
    s.legacy
        .run_sql("UPDATE users SET name = 'Countess of Lovelace' WHERE email = 'ada@example.com'")
        .await;
    let cached = s.authbox.get_user(&s.tenant, &user.user_id).await.unwrap();
    assert_eq!(name(&cached), &json!("Ada Lovelace"));
    let user = login(ADA_PASSWORD).await.unwrap();
    assert_eq!(name(&user), &json!("Countess of Lovelace"));
    assert_eq!(user.logins_count, 2);

    // Or an explicit refresh, which is not a login.
    s.legacy
        .run_sql("UPDATE users SET name = 'Ada King' WHERE email = 'ada@example.com'")
        .await;
    let user = s
        .authbox
        .refresh_user(&s.tenant, &user.user_id)
        .await
        .unwrap();
    assert_eq!(name(&user), &json!("Ada King"));
    assert_eq!(user.logins_count, 2);

    // A failed login writes nothing.
    let before = s.authbox.get_user(&s.tenant, &user.user_id).await.unwrap();
    let wrong = login("not the password").await;
    assert!(
        matches!(&wrong, Err(FlowError::Refused(Refusal::WrongCredentials { user_id: Some(id), .. })) if id == "sqlite|1"),
        "{wrong:?}"
    );
    assert_eq!(
        s.authbox.get_user(&s.tenant, &user.user_id).await.unwrap(),
        before
    );

    // Blocked: refused after the script succeeds, and still counted.
    let block = json!({"blocked": true});
    s.authbox
        .update_user(&s.tenant, &user.user_id, block.as_object().unwrap())
        .await
        .unwrap();
    assert!(matches!(login(ADA_PASSWORD).await, Err(FlowError::Blocked)));
    let blocked = s.authbox.get_user(&s.tenant, &user.user_id).await.unwrap();
    assert_eq!(blocked.logins_count, 3);

    // The field policy: a custom-database user's name is the database's.
    let rename = json!({"name": "x"});
    let refused = s
        .authbox
        .update_user(&s.tenant, &user.user_id, rename.as_object().unwrap())
        .await;
    assert!(matches!(refused, Err(FlowError::Update(_))), "{refused:?}");
}

#[tokio::test]
async fn an_older_script_version_is_a_rollback_loaded_from_the_artifact_cache() {
    let s = setup_with_script().await;
    s.upload(authbox_tests::HOSTILE).await;
    // Version 2 does not know Ada.
    assert!(matches!(
        s.login(ADA, ADA_PASSWORD).await,
        Err(FlowError::Refused(Refusal::WrongCredentials { .. }))
    ));
    s.authbox
        .activate_script(&s.tenant, &s.connection, 1)
        .await
        .unwrap();
    s.login(ADA, ADA_PASSWORD).await.unwrap();
    let versions = s.authbox.store().scripts(&s.connection).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.active).collect::<Vec<_>>(),
        [true, false]
    );
    // Both versions were compiled once, at upload, into the cache beside
    // the store.
    let artifacts: Vec<String> = std::fs::read_dir(s.dir.path().join("artifacts"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for version in &versions {
        assert!(
            artifacts
                .iter()
                .any(|name| name.starts_with(&version.sha256)),
            "{artifacts:?}"
        );
    }
    assert!(matches!(
        s.authbox.activate_script(&s.tenant, &s.connection, 9).await,
        Err(FlowError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_failing_script_is_a_script_error_and_writes_nothing() {
    let s = setup_with_script().await;
    s.legacy.run_sql("DROP TABLE users").await;
    let failed = s
        .authbox
        .login(
            &s.tenant,
            "legacy",
            ADA,
            ADA_PASSWORD,
            &LoginContext::default(),
        )
        .await;
    let Err(FlowError::Script(report)) = failed else {
        panic!("{failed:?}");
    };
    assert_eq!(report.outcome, Outcome::Error);
    assert!(
        s.authbox
            .store()
            .users_by_email(&s.tenant, ADA)
            .await
            .unwrap()
            .is_empty()
    );
    // A garbage upload is refused and the active script stays.
    assert!(matches!(
        s.authbox
            .upload_script(&s.tenant, &s.connection, b"garbage")
            .await,
        Err(FlowError::InvalidScript { .. })
    ));
    let versions = s.authbox.store().scripts(&s.connection).await.unwrap();
    assert_eq!(versions.len(), 1);
}

#[tokio::test]
async fn users_are_listed_by_page_and_deleted_through_the_script() {
    let s = setup_with_script().await;
    let ctx = LoginContext::default();
    for (user, password) in [
        (ADA, ADA_PASSWORD),
        ("grace", "hopper1906"),
        ("linus@example.com", "kernel-hacker-91"),
    ] {
        s.authbox
            .login(&s.tenant, "legacy", user, password, &ctx)
            .await
            .unwrap();
    }
    let page = |page| UserSearch {
        query: Some(parse("identities.connection:legacy").unwrap()),
        sort: Some("email:1".parse().unwrap()),
        page,
        per_page: 2,
        include_totals: true,
    };
    let (first, total) = s.authbox.search_users(&s.tenant, &page(0)).await.unwrap();
    let (second, _) = s.authbox.search_users(&s.tenant, &page(1)).await.unwrap();
    assert_eq!(total, Some(3));
    let emails: Vec<_> = first
        .iter()
        .chain(&second)
        .map(|u| u.attributes["email"].clone())
        .collect();
    assert_eq!(
        emails,
        [
            json!(ADA),
            json!("grace@example.com"),
            json!("linus@example.com")
        ]
    );

    s.authbox
        .delete_user(&s.tenant, "auth0|sqlite|2")
        .await
        .unwrap();
    assert!(
        s.authbox
            .users_by_email(&s.tenant, "grace@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    // Gone from the legacy database too.
    let again = s
        .authbox
        .login(&s.tenant, "legacy", "grace", "hopper1906", &ctx)
        .await;
    assert!(
        matches!(
            again,
            Err(FlowError::Refused(Refusal::WrongCredentials { .. }))
        ),
        "{again:?}"
    );
    assert!(matches!(
        s.authbox.delete_user(&s.tenant, "auth0|sqlite|2").await,
        Err(FlowError::NotFound(_))
    ));
    // Three logins, the deletion (with its script call), a wrong password;
    // the second, refused deletion is no event.
    let events = s.events().await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["s", "s", "s", "du", "fu"]);
    let deleted = &events[3];
    assert_eq!(deleted.user_id.as_deref(), Some("auth0|sqlite|2"));
    assert_eq!(deleted.details["scripts"][0]["action"], json!("delete"));
}

#[tokio::test]
async fn signup_creates_in_the_custom_database_then_caches_the_login() {
    let s = setup_with_script().await;
    let ctx = LoginContext::default();
    let none = RootAttributes::default();
    let new_user = |email: &str| crate::runtime::NewUser {
        email: email.into(),
        password: "a new password".into(),
        username: None,
        phone_number: None,
        user_metadata: Some(json!({"source": "signup"}).as_object().unwrap().clone()),
        app_metadata: None,
    };
    let user = s
        .authbox
        .signup(
            &s.tenant,
            "legacy",
            new_user("new@example.com"),
            &none,
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(user.user_id, "auth0|sqlite|4");
    assert_eq!(
        (user.logins_count, user.user_metadata["source"].clone()),
        (1, json!("signup"))
    );
    // The custom database has the user: they log in with that password.
    let again = s
        .authbox
        .login(
            &s.tenant,
            "legacy",
            "new@example.com",
            "a new password",
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(again.logins_count, 2);
    // A user the custom database knows is refused before `create` runs.
    let exists = s
        .authbox
        .signup(&s.tenant, "legacy", new_user(ADA), &none, &ctx)
        .await;
    assert!(
        matches!(exists, Err(FlowError::Refused(Refusal::UserExists))),
        "{exists:?}"
    );
    // Root attributes would be lost (the profile is the custom database's):
    // refused, naming them, before any script runs.
    let named = RootAttributes {
        given_name: Some("Nova".into()),
        picture: Some("https://example.com/nova.png".into()),
        ..RootAttributes::default()
    };
    let refused = s
        .authbox
        .signup(
            &s.tenant,
            "legacy",
            new_user("nova@example.com"),
            &named,
            &ctx,
        )
        .await;
    match refused {
        Err(FlowError::Refused(Refusal::Validation { code, message })) => {
            assert_eq!(code, "invalid_signup");
            assert!(
                message.starts_with("given_name, picture cannot be set"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The tenant's log: the signup's own login, the signup with the calls
    // it made, the login, the two refused signups (the last one called no
    // script).
    let events = s.events().await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["s", "ss", "s", "fs", "fs"]);
    assert_eq!(events[4].details.get("scripts"), None);
    let calls: Vec<&str> = events[1].details["scripts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["get-user", "create"]);
    assert_eq!(events[1].user_id.as_deref(), Some("auth0|sqlite|4"));
    assert_eq!(events[3].description, "user exists");
}

#[tokio::test]
async fn verify_password_and_email_changes_go_through_the_script_then_the_cache() {
    let s = setup_with_script().await;
    let ctx = LoginContext::default();
    let linus = s
        .authbox
        .login(
            &s.tenant,
            "legacy",
            "linus@example.com",
            "kernel-hacker-91",
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(linus.attributes["email_verified"], json!(false));
    let verified = s
        .authbox
        .verify_email(&s.tenant, &linus.user_id)
        .await
        .unwrap();
    assert_eq!(verified.attributes["email_verified"], json!(true));

    let reset = s
        .authbox
        .change_password(&s.tenant, &linus.user_id, "penguin-power")
        .await
        .unwrap();
    assert!(reset.last_password_reset.is_some());
    s.authbox
        .login(
            &s.tenant,
            "legacy",
            "linus@example.com",
            "penguin-power",
            &ctx,
        )
        .await
        .unwrap();

    let moved = s
        .authbox
        .change_email(&s.tenant, &linus.user_id, "torvalds@example.com", false)
        .await
        .unwrap();
    assert_eq!(moved.attributes["email"], json!("torvalds@example.com"));
    assert_eq!(moved.attributes["email_verified"], json!(false));
    assert_eq!(
        s.authbox
            .users_by_email(&s.tenant, "TORVALDS@example.com")
            .await
            .unwrap()
            .len(),
        1
    );
    // The legacy database moved too: the next login refreshes the same user.
    let again = s
        .authbox
        .login(
            &s.tenant,
            "legacy",
            "torvalds@example.com",
            "penguin-power",
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(again.user_id, linus.user_id);

    // The custom database no longer knowing the user: `false`, nothing changed.
    s.legacy.run_sql("DELETE FROM users WHERE id = 3").await;
    let before = s.authbox.get_user(&s.tenant, &linus.user_id).await.unwrap();
    let refused = s.authbox.verify_email(&s.tenant, &linus.user_id).await;
    assert!(
        matches!(
            refused,
            Err(FlowError::NotDone {
                action: "verify",
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(
        s.authbox.get_user(&s.tenant, &linus.user_id).await.unwrap(),
        before
    );
}
