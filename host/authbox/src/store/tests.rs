//! One suite, run on SQLite (always) and PostgreSQL (with
//! `AUTHBOX_TEST_POSTGRES_URL`, in a fresh schema).

use serde_json::{Map, Value, json};

use super::*;
use crate::runtime::profile::{ProfileSource, normalize};
use authbox_tests::legacy::{Backend, LegacyDb};

/// The stores to test: a SQLite file, and PostgreSQL when configured.
async fn stores(test: &str) -> Vec<(SqlStore, LegacyDb)> {
    let mut stores = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(db) = LegacyDb::empty(backend, test).await {
            stores.push((
                SqlStore::open(&db.url, SecretKey::generate())
                    .await
                    .unwrap(),
                db,
            ));
        }
    }
    stores
}

/// A new tenant with one connection (default settings).
pub(super) async fn tenant_with_connection(
    store: &SqlStore,
    tenant: &str,
    connection: &str,
) -> (Tenant, Connection) {
    let tenant = store.create_tenant(tenant).await.unwrap();
    let connection = store
        .create_connection(&tenant.id, connection, &ConnectionSettings::default())
        .await
        .unwrap();
    (tenant, connection)
}

/// A login of `profile` through a connection, from no known address.
pub(super) fn login_of<'a>(
    tenant_id: &'a str,
    connection_id: &'a str,
    profile: &'a crate::runtime::profile::NormalizedProfile,
) -> LoginRecord<'a> {
    LoginRecord {
        is_login: true,
        tenant_id,
        connection_id,
        profile,
        ip: None,
        sync_root_attributes: true,
    }
}

/// The first page of what `q` finds (every user without it), with the
/// total.
fn counted_first_page(q: Option<&str>) -> crate::search::UserSearch {
    crate::search::UserSearch {
        query: q.map(|q| crate::search::parse(q).unwrap()),
        sort: None,
        page: 0,
        per_page: 5,
        include_totals: true,
    }
}

pub(super) fn profile(value: Value) -> crate::runtime::profile::NormalizedProfile {
    let Value::Object(map) = value else { panic!() };
    normalize(map, &ProfileSource::default()).unwrap().profile
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[tokio::test]
async fn tenants_and_connections_are_named_uniquely_and_kept_apart() {
    for (store, db) in stores("tenants_and_connections").await {
        let acme = store.create_tenant("acme").await.unwrap();
        let other = store.create_tenant("other").await.unwrap();
        assert!(matches!(
            store.create_tenant("acme").await,
            Err(StoreError::Exists(_))
        ));
        assert_eq!(store.tenant_by_name("acme").await.unwrap(), acme);
        assert!(matches!(
            store.tenant_by_name("nope").await,
            Err(StoreError::NotFound(_))
        ));

        let settings = ConnectionSettings {
            import_mode: true,
            ..ConnectionSettings::default()
        };
        let legacy = store
            .create_connection(&acme.id, "legacy", &settings)
            .await
            .unwrap();
        assert_eq!(legacy.settings, settings);
        assert!(matches!(
            store.create_connection(&acme.id, "legacy", &settings).await,
            Err(StoreError::Exists(_))
        ));
        // The same name in another tenant is another connection.
        store
            .create_connection(&other.id, "legacy", &settings)
            .await
            .unwrap();
        assert_eq!(
            store.connection_by_name(&acme.id, "legacy").await.unwrap(),
            legacy
        );
        assert_eq!(
            store.connections(&acme.id).await.unwrap(),
            std::slice::from_ref(&legacy)
        );
        assert!(matches!(
            store.connection(&other.id, &legacy.id).await,
            Err(StoreError::NotFound(_))
        ));

        let mut changed = settings.clone();
        changed.config.insert("secret".into(), "s3cret".into());
        let updated = store
            .update_connection(&acme.id, &legacy.id, &changed)
            .await
            .unwrap();
        assert_eq!(updated.settings, changed);
        assert!(!format!("{:?}", updated.settings).contains("s3cret"));
        store.delete_connection(&acme.id, &legacy.id).await.unwrap();
        assert!(matches!(
            store.delete_connection(&acme.id, &legacy.id).await,
            Err(StoreError::NotFound(_))
        ));
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn script_versions_are_numbered_and_one_is_active() {
    for (store, db) in stores("script_versions").await {
        let (_, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        assert!(matches!(
            store.active_script(&conn.id).await,
            Err(StoreError::NotFound(_))
        ));
        let actions = vec!["login".to_string(), "get-user".to_string()];
        let v1 = store
            .add_script(&conn.id, b"first", "aa", &actions)
            .await
            .unwrap();
        let v2 = store
            .add_script(&conn.id, b"second", "bb", &actions)
            .await
            .unwrap();
        assert_eq!((v1.version, v2.version), (1, 2));
        store.activate_script(&conn.id, 2).await.unwrap();
        assert_eq!(store.active_script(&conn.id).await.unwrap().1, b"second");
        // Rollback.
        store.activate_script(&conn.id, 1).await.unwrap();
        let (active, wasm) = store.active_script(&conn.id).await.unwrap();
        assert_eq!(
            (active.version, active.sha256.as_str(), wasm.as_slice()),
            (1, "aa", &b"first"[..])
        );
        let listed = store.scripts(&conn.id).await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|s| (s.version, s.active))
                .collect::<Vec<_>>(),
            [(1, true), (2, false)]
        );
        assert_eq!(listed[1].size_bytes, 6);
        assert!(matches!(
            store.activate_script(&conn.id, 3).await,
            Err(StoreError::NotFound(_))
        ));
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn a_login_refreshes_the_profile_but_never_the_metadata() {
    for (store, db) in stores("login_cache").await {
        let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        let first = profile(json!({
            "user_id": "legacy|1", "email": "Ada@Example.com", "name": "Ada",
            "user_metadata": {"theme": "dark"}, "app_metadata": {"plan": "pro"}
        }));
        let record = |profile, sync| LoginRecord {
            is_login: true,
            tenant_id: &tenant.id,
            connection_id: &conn.id,
            profile,
            ip: Some("192.0.2.1"),
            sync_root_attributes: sync,
        };
        let cached = store.record_login(record(&first, true)).await.unwrap();
        assert_eq!(cached.user_id, "auth0|legacy|1");
        assert_eq!(cached.logins_count, 1);
        assert_eq!(cached.user_metadata, object(json!({"theme": "dark"})));
        assert_eq!(cached.attributes["name"], json!("Ada"));
        assert_eq!(cached.last_ip.as_deref(), Some("192.0.2.1"));

        let second = profile(json!({
            "user_id": "legacy|1", "email": "Ada@Example.com", "name": "Ada Lovelace",
            "user_metadata": {"theme": "light"}
        }));
        let cached = store.record_login(record(&second, true)).await.unwrap();
        assert_eq!(cached.logins_count, 2);
        assert_eq!(cached.attributes["name"], json!("Ada Lovelace"));
        assert_eq!(cached.user_metadata, object(json!({"theme": "dark"})));
        assert_eq!(cached.app_metadata, object(json!({"plan": "pro"})));

        // Sync off: the first-login root attributes stay.
        let third =
            profile(json!({"user_id": "legacy|1", "email": "Ada@Example.com", "name": "A. L."}));
        let cached = store.record_login(record(&third, false)).await.unwrap();
        assert_eq!(cached.attributes["name"], json!("Ada Lovelace"));
        assert_eq!(cached.logins_count, 3);

        let found = store
            .users_by_email(&tenant.id, "ada@example.COM")
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        let shown = found[0].to_json();
        assert_eq!(shown["user_id"], json!("auth0|legacy|1"));
        assert_eq!(shown["logins_count"], json!(3));
        assert_eq!(shown["identities"][0]["connection"], json!("custom-db"));
        store.close().await;
        db.drop().await;
    }
}

/// PostgreSQL plans the store's statements for each execution's values:
/// a generic plan made while `users` is small would be kept for the
/// connection's life (`POSTGRES_SESSION`).
#[tokio::test]
async fn postgres_plans_each_execution_of_a_login_s_statements() {
    for (store, db) in stores("custom_plans").await {
        if store.sqlite() {
            continue;
        }
        // The store's connection settings on a pool of one: every login
        // runs on the connection whose prepared statements are read.
        let mut store = store;
        store.pool = super::sql::pool_options(false)
            .max_connections(1)
            .connect(&db.url)
            .await
            .unwrap();
        let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        let user = profile(json!({"user_id": "legacy|1", "email": "p@example.com"}));
        // More than the five executions after which PostgreSQL may keep a
        // generic plan.
        const LOGINS: i64 = 30;
        for _ in 0..LOGINS {
            store
                .record_login(login_of(&tenant.id, &conn.id, &user))
                .await
                .unwrap();
        }
        let (generic, custom): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(generic_plans), 0) AS BIGINT), \
             CAST(COALESCE(SUM(custom_plans), 0) AS BIGINT) \
             FROM pg_prepared_statements WHERE statement LIKE 'UPDATE users%'",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert_eq!(generic, 0, "no statement planned once for every value");
        assert!(custom >= LOGINS, "each login's update planned: {custom}");
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn concurrent_logins_of_one_user_all_count() {
    for (store, db) in stores("concurrent_logins").await {
        let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        let user = profile(json!({"user_id": "legacy|7", "email": "g@example.com"}));
        let logins = (0..20).map(|_| store.record_login(login_of(&tenant.id, &conn.id, &user)));
        for result in futures_util::future::join_all(logins).await {
            result.unwrap();
        }
        assert_eq!(
            store
                .user(&tenant.id, "auth0|legacy|7")
                .await
                .unwrap()
                .logins_count,
            20
        );
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn a_migration_keeps_cached_metadata_and_is_never_overwritten() {
    for (store, db) in stores("migration").await {
        let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        let ada = profile(json!({
            "user_id": "legacy|1", "email": "Ada@Example.com", "username": "ada",
            "user_metadata": {"theme": "dark"}
        }));
        // Cached before import mode: not migrated, no hash.
        store
            .record_login(login_of(&tenant.id, &conn.id, &ada))
            .await
            .unwrap();
        let found = store
            .credentials(&tenant.id, &conn.id, "ADA@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.migrated, found.password_hash), (false, None));

        let renamed = profile(json!({
            "user_id": "legacy|1", "email": "ada@example.com", "username": "ada", "name": "Ada L.",
            "user_metadata": {"theme": "light"}
        }));
        let migration = |profile, hash| MigrationRecord {
            reason: MigrationReason::Login,
            tenant_id: &tenant.id,
            connection_id: &conn.id,
            profile,
            password_hash: hash,
            ip: Some("192.0.2.9"),
        };
        let migrated = store
            .record_migration(migration(&renamed, "$2b$10$first"))
            .await
            .unwrap();
        assert!(migrated.migrated && migrated.migrated_at.is_some());
        assert_eq!(migrated.logins_count, 2);
        assert_eq!(migrated.attributes["name"], json!("Ada L."));
        assert_eq!(migrated.user_metadata, object(json!({"theme": "dark"})));
        assert_eq!(migrated.last_ip.as_deref(), Some("192.0.2.9"));

        // A second migration of the same user is refused; the copy stays.
        assert!(matches!(
            store
                .record_migration(migration(&ada, "$2b$10$second"))
                .await,
            Err(StoreError::Exists(_))
        ));
        let by_username = store
            .credentials(&tenant.id, &conn.id, "ada")
            .await
            .unwrap()
            .unwrap();
        assert!(by_username.migrated);
        assert_eq!(by_username.password_hash.as_deref(), Some("$2b$10$first"));
        assert!(!format!("{by_username:?}").contains("$2b$"));

        let counted = store
            .count_login(&tenant.id, &migrated.user_id, None)
            .await
            .unwrap();
        assert_eq!(counted.logins_count, 3);
        assert_eq!(counted.attributes["name"], json!("Ada L."));
        let changes = UserChanges {
            password_hash: Some("$2b$10$third".into()),
            ..UserChanges::default()
        };
        store
            .update_user(&tenant.id, &migrated.user_id, counted.revision, &changes)
            .await
            .unwrap()
            .unwrap();
        let found = store
            .credentials(&tenant.id, &conn.id, "ada")
            .await
            .unwrap();
        assert_eq!(
            found.unwrap().password_hash.as_deref(),
            Some("$2b$10$third")
        );
        // A password reset migrates without counting a login.
        let grace = profile(json!({"user_id": "legacy|2", "email": "grace@example.com"}));
        let reset = store
            .record_migration(MigrationRecord {
                reason: MigrationReason::PasswordReset,
                ..migration(&grace, "$2b$10$reset")
            })
            .await
            .unwrap();
        assert!(reset.migrated && reset.last_password_reset.is_some());
        assert_eq!((reset.logins_count, reset.last_login), (0, None));
        // Another connection's users are not found.
        let other = store
            .create_connection(&tenant.id, "other", &ConnectionSettings::default())
            .await
            .unwrap();
        let elsewhere = store.credentials(&tenant.id, &other.id, "ada").await;
        assert_eq!(elsewhere.unwrap(), None);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn keys_and_clients_are_found_by_their_secrets_hash_only() {
    for (store, db) in stores("access").await {
        let tenant = store.create_tenant("acme").await.unwrap();
        let scopes = vec!["read:users".to_string(), "update:users".to_string()];
        let key = store
            .create_api_key(&tenant.id, &secret_hash("abk_secret"), &scopes)
            .await
            .unwrap();
        let found = store.api_key(&secret_hash("abk_secret")).await.unwrap();
        assert_eq!(found.as_ref(), Some(&key));
        assert_eq!(key.scopes, scopes);
        assert_eq!(
            store.api_key(&secret_hash("abk_other")).await.unwrap(),
            None
        );
        assert!(matches!(
            store
                .create_api_key("ten_none", &secret_hash("k2"), &scopes)
                .await,
            Err(StoreError::NotFound(_))
        ));

        let client = store
            .create_client(&tenant.id, "cli_1", "web", &secret_hash("s3cret"))
            .await
            .unwrap();
        assert_eq!(
            store.client("cli_1", &secret_hash("s3cret")).await.unwrap(),
            Some(client)
        );
        assert_eq!(
            store.client("cli_1", &secret_hash("wrong")).await.unwrap(),
            None
        );

        assert_eq!(store.signing_key(&tenant.id).await.unwrap(), None);
        let key = |kid: &str| SigningKey {
            kid: kid.into(),
            private_key_pem: "-----BEGIN PRIVATE KEY-----".into(),
        };
        let first = store
            .add_signing_key(&tenant.id, &key("kid-1"))
            .await
            .unwrap();
        // A second process's key loses: both use the first.
        let again = store
            .add_signing_key(&tenant.id, &key("kid-2"))
            .await
            .unwrap();
        assert_eq!((first.kid.as_str(), &again), ("kid-1", &first));
        assert_eq!(
            store.signing_key(&tenant.id).await.unwrap(),
            Some(first.clone())
        );
        assert_eq!(
            store.signing_keys().await.unwrap(),
            [(tenant.id.clone(), first.clone())]
        );
        assert!(!format!("{first:?}").contains("PRIVATE"));
        store.close().await;
        db.drop().await;
    }
}

/// With several connections writing, SQLite's own checkpoints never restart
/// the log (it grew by gigabytes under load); the store's restarts do. A
/// restart shows in the log file's header: its checkpoint sequence number
/// goes up at the first write after it. Fewer than 1,000 pages are written,
/// so SQLite's own checkpoint never runs and cannot be what restarted it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_stores_log_starts_again_after_concurrent_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = SqlStore::open(&format!("sqlite:{}", path.display()), SecretKey::generate())
        .await
        .unwrap();
    let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
    let users: Vec<_> = (0..40)
        .map(|i| {
            profile(json!({"user_id": format!("legacy|{i}"), "email": format!("u{i}@example.com")}))
        })
        .collect();
    let login = |user| store.record_login(login_of(&tenant.id, &conn.id, user));
    for result in futures_util::future::join_all(users.iter().map(login)).await {
        result.unwrap();
    }
    let checkpoint_sequence = || {
        let log = std::fs::read(dir.path().join("store.db-wal")).unwrap();
        u32::from_be_bytes(log[12..16].try_into().unwrap())
    };
    let before = checkpoint_sequence();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for user in users.iter().cycle() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        login(user).await.unwrap();
        if checkpoint_sequence() > before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the log was never restarted"
        );
    }
    let (_, total) = store
        .search_users(&tenant.id, &counted_first_page(None))
        .await
        .unwrap();
    assert_eq!(total, Some(40));
    store.close().await;
}

#[tokio::test]
async fn a_search_counts_and_pages_through_its_first_thousand_users_only() {
    use crate::search::{MAX_RESULTS, UserSearch, parse};
    for (store, db) in stores("search_window").await {
        let (tenant, connection) = tenant_with_connection(&store, "acme", "legacy").await;
        let found = MAX_RESULTS as usize + 5;
        for i in 0..found {
            let user = profile(json!({
                "user_id": format!("u{i:05}"),
                "email": format!("u{i:05}@example.com"),
                "app_metadata": {"plan": "gold"},
            }));
            store
                .record_login(login_of(&tenant.id, &connection.id, &user))
                .await
                .unwrap();
        }
        for q in [None, Some("app_metadata.plan:gold"), Some("logins_count:1")] {
            let search = |page, per_page| UserSearch {
                query: q.map(|q| parse(q).unwrap()),
                sort: Some("logins_count:-1".parse().unwrap()),
                page,
                per_page,
                include_totals: true,
            };
            let (users, total) = store
                .search_users(&tenant.id, &search(0, 10))
                .await
                .unwrap();
            assert_eq!(
                total,
                Some(u64::from(MAX_RESULTS)),
                "{q:?}: counted up to the bound"
            );
            assert_eq!(users.len(), 10);
            // The last page before the bound is cut where the bound is:
            // results 990 to 999, not 990 to 1019.
            let ids = |users: Vec<CachedUser>| -> Vec<String> {
                users.into_iter().map(|u| u.user_id).collect()
            };
            let (cut, _) = store
                .search_users(&tenant.id, &search(33, 30))
                .await
                .unwrap();
            let (last, _) = store
                .search_users(&tenant.id, &search(99, 10))
                .await
                .unwrap();
            assert_eq!(cut.len(), 10, "{q:?}");
            assert_eq!(ids(cut), ids(last), "{q:?}");
        }
        // Fewer users than the bound are counted exactly.
        let few = counted_first_page(Some("email:u0000*"));
        let (_, total) = store.search_users(&tenant.id, &few).await.unwrap();
        assert_eq!(total, Some(10));
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn an_in_memory_sqlite_store_is_refused() {
    for url in ["sqlite::memory:", "sqlite:file:store?mode=memory"] {
        match SqlStore::open(url, SecretKey::generate()).await {
            Err(StoreError::Open { reason, .. }) => assert!(reason.contains("file path")),
            other => panic!("{url}: {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test]
async fn users_cached_before_search_existed_are_made_searchable() {
    for (store, db) in stores("search_backfill").await {
        let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        let ada = profile(json!({
            "user_id": "legacy|1", "email": "ada@example.com", "name": "Ada LOVELACE",
            "app_metadata": {"plan": "gold"}
        }));
        store
            .record_login(login_of(&tenant.id, &conn.id, &ada))
            .await
            .unwrap();
        assert_eq!(
            (
                found(&store, &tenant.id, "name:\"ada lovelace\"").await,
                found(&store, &tenant.id, "app_metadata.plan:gold").await
            ),
            (1, 1)
        );
        // As a store written before migration 7 left them.
        let mut connection = store.pool.acquire().await.unwrap();
        sqlx::raw_sql("DELETE FROM user_terms; UPDATE users SET name_key = NULL;")
            .execute(&mut *connection)
            .await
            .unwrap();
        assert_eq!(
            (
                found(&store, &tenant.id, "name:\"ada lovelace\"").await,
                found(&store, &tenant.id, "app_metadata.plan:gold").await
            ),
            (0, 0)
        );
        super::search::backfill(&mut connection).await.unwrap();
        assert_eq!(
            (
                found(&store, &tenant.id, "name:\"ada lovelace\"").await,
                found(&store, &tenant.id, "app_metadata.plan:gold").await
            ),
            (1, 1)
        );
        // A user's terms go with it, as do those of a connection's users.
        assert_eq!(term_rows(&store).await, 1);
        store
            .delete_user(&tenant.id, "auth0|legacy|1")
            .await
            .unwrap();
        assert_eq!(term_rows(&store).await, 0);
        store
            .record_login(login_of(&tenant.id, &conn.id, &ada))
            .await
            .unwrap();
        assert_eq!(term_rows(&store).await, 1);
        store.delete_connection(&tenant.id, &conn.id).await.unwrap();
        assert_eq!(term_rows(&store).await, 0);
        drop(connection);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn metadata_terms_follow_each_write_of_their_object() {
    for (store, db) in stores("search_terms_written").await {
        let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        let ada = profile(json!({
            "user_id": "legacy|1", "email": "ada@example.com",
            "app_metadata": {"plan": "gold"}, "user_metadata": {"lang": "en", "tags": ["a", "b"]}
        }));
        let user = store
            .record_login(login_of(&tenant.id, &conn.id, &ada))
            .await
            .unwrap();
        let terms = || async {
            sqlx::query_scalar::<_, String>(
                "SELECT field || '=' || value FROM user_terms ORDER BY field, value",
            )
            .fetch_all(&store.pool)
            .await
            .unwrap()
        };
        let first = vec![
            "app_metadata.plan=s:gold",
            "user_metadata.lang=s:en",
            "user_metadata.tags=s:a",
            "user_metadata.tags=s:b",
        ];
        assert_eq!(terms().await, first);
        let user_id = user.user_id.clone();
        let update = |revision: i64, changes: UserChanges| {
            let (store, tenant_id, user_id) = (store.clone(), tenant.id.clone(), user_id.clone());
            async move {
                store
                    .update_user(&tenant_id, &user_id, revision, &changes)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        // A change of one object replaces its terms only.
        let object = |value: Value| value.as_object().cloned();
        let user = update(
            user.revision,
            UserChanges {
                user_metadata: object(json!({"lang": "fr"})),
                ..UserChanges::default()
            },
        )
        .await;
        assert_eq!(
            terms().await,
            ["app_metadata.plan=s:gold", "user_metadata.lang=s:fr"]
        );
        // Writes of other columns leave the terms alone.
        let user = update(
            user.revision,
            UserChanges {
                blocked: Some(true),
                ..UserChanges::default()
            },
        )
        .await;
        assert_eq!(terms().await.len(), 2);
        // A user cached before the terms were kept beside the metadata (the
        // triggers delete its terms, migration 7's backfill writes them):
        // the first write of an object replaces that object's terms.
        let mut connection = store.pool.acquire().await.unwrap();
        sqlx::raw_sql("UPDATE users SET app_metadata_terms = NULL, user_metadata_terms = NULL")
            .execute(&mut *connection)
            .await
            .unwrap();
        super::search::backfill(&mut connection).await.unwrap();
        drop(connection);
        assert_eq!(terms().await.len(), 2);
        update(
            user.revision,
            UserChanges {
                app_metadata: object(json!({"plan": "free", "seats": 3})),
                ..UserChanges::default()
            },
        )
        .await;
        assert_eq!(
            terms().await,
            [
                "app_metadata.plan=s:free",
                "app_metadata.seats=n:3",
                "user_metadata.lang=s:fr"
            ]
        );
        store.close().await;
        db.drop().await;
    }
}

/// How many of the tenant's users `q` finds.
async fn found(store: &SqlStore, tenant_id: &str, q: &str) -> usize {
    let search = crate::search::UserSearch {
        query: Some(crate::search::parse(q).unwrap()),
        sort: None,
        page: 0,
        per_page: 10,
        include_totals: false,
    };
    store
        .search_users(tenant_id, &search)
        .await
        .unwrap()
        .0
        .len()
}

/// How many search terms the store holds.
async fn term_rows(store: &SqlStore) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM user_terms")
        .fetch_one(&store.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_retention_sweep_keeps_each_tenant_s_newest_events_within_the_age() {
    use crate::logs::{EventSource, EventType, LogEvent};
    for (store, db) in stores("log_retention").await {
        let now_ms = sqlx::types::chrono::Utc::now().timestamp_millis();
        let event = |tenant: &str, at_ms: i64, n: u32| LogEvent {
            log_id: format!("{}{n:016x}", LogEvent::first_id_at(at_ms)),
            ..LogEvent::new(tenant, EventType::SuccessLogin, &EventSource::default())
        };
        let mut events = Vec::new();
        for n in 0..30 {
            events.push(event("busy", now_ms - 1000 + i64::from(n), n));
        }
        for n in 0..5 {
            events.push(event("quiet", now_ms, n));
            events.push(event("quiet", now_ms - 40 * 24 * 3600 * 1000, n));
        }
        store.insert_log_events(&events).await.unwrap();
        let cutoff = LogEvent::first_id_at(now_ms - 30 * 24 * 3600 * 1000);
        assert_eq!(store.sweep_log_events(&cutoff, 10).await.unwrap(), 20 + 5);
        let (busy, _) = all_log_events(&store, "busy").await;
        assert_eq!(busy.len(), 10);
        assert_eq!(busy[0], events[20].log_id, "the newest ten are kept");
        // The quiet tenant's five recent events; its five old ones are gone.
        let recent: Vec<String> = events[30..]
            .iter()
            .step_by(2)
            .map(|e| e.log_id.clone())
            .collect();
        assert_eq!(all_log_events(&store, "quiet").await, (recent, 5));
        if !store.sqlite() {
            // What it deleted was vacuumed (this server may run no
            // autovacuum).
            let vacuumed = db
                .count(
                    "SELECT COUNT(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() \
                     AND relname = 'log_events' AND last_vacuum IS NOT NULL",
                )
                .await;
            assert_eq!(vacuumed, 1);
        }
        // Nothing more to sweep.
        assert_eq!(store.sweep_log_events(&cutoff, 10).await.unwrap(), 0);
        store.close().await;
        db.drop().await;
    }
}

/// The ids of a tenant's oldest 100 events, oldest first, and how many
/// events it has.
async fn all_log_events(store: &SqlStore, tenant_id: &str) -> (Vec<String>, u64) {
    use crate::logs::{LogPage, LogSearch};
    let search = LogSearch {
        query: None,
        user_id: None,
        page: LogPage::Checkpoint {
            from: None,
            take: 100,
        },
        include_totals: true,
    };
    let (events, total) = store.log_events(tenant_id, &search).await.unwrap();
    let ids = events.into_iter().map(|e| e.log_id).collect();
    (ids, total.unwrap())
}

#[tokio::test]
async fn an_older_sqlite_store_s_log_moves_into_its_own_file_once() {
    let db = LegacyDb::empty(Backend::Sqlite, "log_move").await.unwrap();
    let key = SecretKey::generate();
    let store = SqlStore::open(&db.url, key.clone()).await.unwrap();
    let tables = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'log_events'";
    assert_eq!(db.count(tables).await, 0, "the store's file has no log");
    store.close().await;

    // The store as an older version left it: the log in the store's file,
    // 2,500 events of one tenant and 3 of another; and one of them already
    // in the log file, as a move cut short would have left it.
    db.run_sql(include_str!("migrations/0008_tenant_logs.sql"))
        .await;
    let older_events = "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2503) \
         INSERT INTO log_events (tenant_id, log_id, date, type, description, details) \
         SELECT CASE WHEN i <= 2500 THEN 'busy' ELSE 'quiet' END, printf('%020d', i), \
         '2026-12-05T00:00:00.000Z', 's', 'Success Login', '{}' FROM n";
    db.run_sql(older_events).await;
    authbox_tests::legacy::execute(
        &super::sql::log_file_url(&db.url),
        "INSERT INTO log_events (tenant_id, log_id, date, type, description, details) \
         VALUES ('busy', printf('%020d', 7), '2026-12-05T00:00:00.000Z', 's', 'Success Login', '{}')",
    )
    .await;

    let store = SqlStore::open(&db.url, key.clone()).await.unwrap();
    assert_eq!(db.count(tables).await, 0, "the store's copy is dropped");
    let (busy, total) = all_log_events(&store, "busy").await;
    assert_eq!(total, 2500, "each event once");
    assert_eq!(busy[0], format!("{:020}", 1));
    assert_eq!(all_log_events(&store, "quiet").await.1, 3);
    store.close().await;

    // Opened again: nothing more to move, nothing lost.
    let store = SqlStore::open(&db.url, key).await.unwrap();
    assert_eq!(all_log_events(&store, "busy").await.1, 2500);
    store.close().await;
    db.drop().await;
}

#[tokio::test]
async fn the_users_writes_never_wait_for_the_log_s_writer_on_sqlite() {
    let db = LegacyDb::empty(Backend::Sqlite, "log_lock").await.unwrap();
    let store = SqlStore::open(&db.url, SecretKey::generate())
        .await
        .unwrap();
    let (tenant, connection) = tenant_with_connection(&store, "acme", "legacy").await;
    // The log writer's lock, held: with the log in the store's file, the
    // login below would wait SQLite's busy timeout out and fail.
    let mut log_writer = store.logs.acquire().await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *log_writer)
        .await
        .unwrap();
    let ada = profile(json!({"user_id": "ada", "email": "ada@example.com"}));
    let user = store
        .record_login(login_of(&tenant.id, &connection.id, &ada))
        .await
        .unwrap();
    assert_eq!(user.logins_count, 1);
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *log_writer)
        .await
        .unwrap();
    drop(log_writer);
    store.close().await;
    db.drop().await;
}

#[tokio::test]
async fn password_tickets_are_claimed_once_and_capped_per_tenant_and_user() {
    for (store, db) in stores("password_tickets").await {
        let mut connections = Vec::new();
        for name in ["a", "b"] {
            let (tenant, conn) = tenant_with_connection(&store, name, "db").await;
            connections.push((tenant.id, conn.id));
        }
        let ticket = |at: usize, email: &str, expires_at: &str| PasswordTicket {
            tenant_id: connections[at].0.clone(),
            connection_id: connections[at].1.clone(),
            email: email.into(),
            result_url: None,
            created_at: now(),
            expires_at: expires_at.into(),
            used_at: None,
        };
        let later = "2999-01-01T00:00:00.000Z";
        // Per tenant: past the cap, refused; another tenant unaffected.
        for (hash, email, kept) in [
            ("h1", "x@a", true),
            ("h2", "y@a", true),
            ("h3", "z@a", false),
        ] {
            let inserted = store
                .insert_password_ticket(hash, &ticket(0, email, later), 2)
                .await
                .unwrap();
            assert_eq!(inserted, kept, "{hash}");
        }
        assert!(store.password_ticket("h3").await.unwrap().is_none());
        // Per user: the newest five are kept.
        for n in 0..7 {
            let expires = format!("2999-01-0{}T00:00:00.000Z", n + 1);
            let kept = store
                .insert_password_ticket(&format!("u{n}"), &ticket(1, "same@b", &expires), 100)
                .await
                .unwrap();
            assert!(kept);
        }
        let mut kept = Vec::new();
        for n in 0..7 {
            let found = store.password_ticket(&format!("u{n}")).await.unwrap();
            kept.push(found.is_some());
        }
        assert_eq!(kept, [false, false, true, true, true, true, true]);
        // Claimed once; released, claimable again; an expired one never.
        assert!(store.claim_password_ticket("h1").await.unwrap().is_some());
        assert!(store.claim_password_ticket("h1").await.unwrap().is_none());
        assert!(
            store
                .password_ticket("h1")
                .await
                .unwrap()
                .unwrap()
                .used_at
                .is_some()
        );
        store.release_password_ticket("h1").await.unwrap();
        assert!(store.claim_password_ticket("h1").await.unwrap().is_some());
        store
            .insert_password_ticket("old", &ticket(1, "old@b", "2000-01-01T00:00:00.000Z"), 100)
            .await
            .unwrap();
        assert!(store.claim_password_ticket("old").await.unwrap().is_none());
        // Tickets go with their connection.
        store
            .delete_connection(&connections[0].0, &connections[0].1)
            .await
            .unwrap();
        assert!(store.password_ticket("h2").await.unwrap().is_none());
        store.close().await;
        db.drop().await;
    }
}

#[test]
fn a_processing_job_has_time_left_at_its_pace_since_it_was_claimed() {
    use sqlx::types::chrono::{DateTime, Utc};
    let at = |text: &str| std::time::SystemTime::from(text.parse::<DateTime<Utc>>().unwrap());
    let mut job = Job::pending(
        "job_1".into(),
        "t",
        None,
        JobKind::UsersImport,
        json!({}),
        1000,
    );
    let now = at("2026-12-04T10:00:10.000Z");
    assert_eq!(job.time_left_seconds(now), None, "pending");
    job.status = JobStatus::Processing;
    job.started_at = Some("2026-12-04T10:00:00.000Z".into());
    job.started_done = 100;
    job.done = 100;
    assert_eq!(job.time_left_seconds(now), None, "nothing done since");
    // 100 users in 10 s, 800 left: 80 s; rounded up.
    job.done = 200;
    assert_eq!(job.time_left_seconds(now), Some(80));
    job.done = 199;
    assert_eq!(job.time_left_seconds(now), Some(81));
    job.done = 1000;
    assert_eq!(job.time_left_seconds(now), Some(0));
    job.status = JobStatus::Completed;
    assert_eq!(job.time_left_seconds(now), None);
}

#[tokio::test]
async fn fixed_limit_buckets_refuse_when_empty_count_nothing_refused_and_are_swept() {
    use crate::protection::{Bucket, Stage};
    for (store, db) in stores("rate_limits").await {
        let (a, _) = tenant_with_connection(&store, "a", "db").await;
        let (b, _) = tenant_with_connection(&store, "b", "db").await;
        let bucket = Bucket {
            max_attempts: 3,
            rate_ms: 60_000,
        };
        let t0 = 1_700_000_000_000_i64;
        let take = |tenant: &str, subject: &str, at: i64| {
            let (store, tenant, subject) = (&store, tenant.to_string(), subject.to_string());
            async move {
                store
                    .take_from_bucket(&tenant, &subject, bucket, at)
                    .await
                    .unwrap()
            }
        };
        let mut taken = Vec::new();
        for _ in 0..5 {
            taken.push(take(&a.id, "s", t0).await);
        }
        assert_eq!(taken, [None, None, None, Some(60_000), Some(60_000)]);
        // Refusals counted nothing: one comes back after one period, and
        // a refusal says how long until then.
        assert_eq!(take(&a.id, "s", t0 + 59_999).await, Some(1));
        assert_eq!(take(&a.id, "s", t0 + 60_000).await, None);
        assert_eq!(take(&a.id, "s", t0 + 60_000).await, Some(60_000));
        assert_eq!(take(&a.id, "s", t0 + 90_000).await, Some(30_000));
        // Another subject, another tenant: their own buckets.
        assert_eq!(take(&a.id, "other", t0).await, None);
        assert_eq!(take(&b.id, "s", t0).await, None);
        // Sweeping at a time when some are full again deletes only those
        // (and IP throttles likewise); a swept bucket is a full one.
        store
            .count_throttled(&a.id, "192.0.2.1", Stage::PreLogin, t0, 1_000)
            .await
            .unwrap();
        assert_eq!(store.sweep_buckets(t0 + 60_000).await.unwrap(), 3);
        assert_eq!(store.sweep_buckets(t0 + 60_000).await.unwrap(), 0);
        let still_used = take(&a.id, "s", t0 + 60_000).await;
        assert_eq!(still_used, Some(60_000), "not swept: still used");
        assert_eq!(store.sweep_buckets(t0 + 240_000).await.unwrap(), 1);
        for _ in 0..3 {
            assert_eq!(take(&a.id, "s", t0 + 240_000).await, None);
        }
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn a_job_is_run_by_one_worker_and_resumed_where_it_stopped() {
    for (store, db) in stores("jobs").await {
        let (tenant, conn) = tenant_with_connection(&store, "acme", "legacy").await;
        let job = Job::pending(
            "job_1".into(),
            &tenant.id,
            Some(&conn.id),
            JobKind::UsersImport,
            json!({"upsert": false}),
            3,
        );
        assert!(store.insert_job(&job, b"[1, 2, 3]", 2).await.unwrap());
        let long_ago = "2000-01-01T00:00:00.000Z";
        let (claimed, input) = store.claim_job("a", long_ago).await.unwrap().unwrap();
        assert_eq!(
            (claimed.status, input.as_slice()),
            (JobStatus::Processing, &b"[1, 2, 3]"[..])
        );
        assert!(
            store.claim_job("b", long_ago).await.unwrap().is_none(),
            "a holds it"
        );
        let user = |email: &str| {
            let imported = crate::jobs::checked(
                &json!({"email": email}),
                &ProfileSource::default(),
                &Default::default(),
            )
            .unwrap();
            BatchUser::Valid(Box::new(imported), json!({"email": email}))
        };
        let first = store
            .import_batch(&claimed, "a", 0, &[user("x@example.com")], 10)
            .await
            .unwrap();
        assert_eq!(first.map(|o| o.inserted), Some(1));
        // `a` stops beating: `b` takes the job over at its checkpoint, and
        // `a` can write nothing more.
        let later = "2999-01-01T00:00:00.000Z";
        let (taken, _) = store.claim_job("b", later).await.unwrap().unwrap();
        assert_eq!((taken.done, taken.inserted), (1, 1));
        let lost = store
            .import_batch(&claimed, "a", 1, &[user("y@example.com")], 10)
            .await
            .unwrap();
        assert_eq!(lost, None);
        let refused = BatchUser::Invalid(
            json!(3),
            vec![crate::jobs::FieldError::new("INVALID_TYPE", "", "no")],
        );
        let rest = store
            .import_batch(&taken, "b", 1, &[user("x@example.com"), refused], 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((rest.inserted, rest.failed), (0, 2), "x is a duplicate now");
        store
            .finish_job(&taken.id, "b", JobStatus::Completed, None, None)
            .await
            .unwrap();
        let done = store.job(&tenant.id, "job_1").await.unwrap();
        assert_eq!(
            (done.status, done.done, done.inserted, done.failed),
            (JobStatus::Completed, 3, 1, 2)
        );
        let errors = store.job_errors(&tenant.id, "job_1", 100).await.unwrap();
        assert_eq!(errors.len(), 1, "one error kept (the cap), both counted");
        assert_eq!(errors[0].errors[0].code, "DUPLICATED_USER");
        assert!(
            store
                .users_by_email(&tenant.id, "y@example.com")
                .await
                .unwrap()
                .is_empty()
        );
        // Another tenant sees neither the job nor its errors; old jobs go.
        let (other, _) = tenant_with_connection(&store, "other", "legacy").await;
        assert!(store.job(&other.id, "job_1").await.is_err());
        assert!(store.job_errors(&other.id, "job_1", 100).await.is_err());

        // An export of every connection: its users page by page, by id,
        // only for the worker holding it; its file kept with it; swept
        // sooner than an import.
        let export = Job::pending(
            "job_2".into(),
            &tenant.id,
            None,
            JobKind::UsersExport,
            json!({"format": "json"}),
            1,
        );
        assert!(store.insert_job(&export, b"", 2).await.unwrap());
        let (export, _) = store.claim_job("a", long_ago).await.unwrap().unwrap();
        assert_eq!(
            (export.id.as_str(), export.connection_id.as_deref()),
            ("job_2", None)
        );
        assert_eq!(store.count_users(&tenant.id, None).await.unwrap(), 1);
        assert_eq!(store.count_users(&other.id, None).await.unwrap(), 0);
        let page = store
            .export_page(&export, "a", 0, None, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].attributes["email"], json!("x@example.com"));
        let after = Some(page[0].user_id.as_str());
        let rest = store
            .export_page(&export, "a", 1, after, 10)
            .await
            .unwrap()
            .unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            store.export_page(&export, "b", 0, None, 10).await.unwrap(),
            None
        );
        store
            .finish_job("job_2", "a", JobStatus::Completed, None, Some(b"the file"))
            .await
            .unwrap();
        assert_eq!(store.job_output("job_2").await.unwrap().1, b"the file");
        assert!(
            store.job_output("job_1").await.is_err(),
            "an import has no file"
        );
        assert_eq!(store.sweep_jobs(long_ago, later).await.unwrap(), 1);
        assert!(store.job_output("job_2").await.is_err());
        assert_eq!(store.sweep_jobs(later, later).await.unwrap(), 1);
        assert!(store.job(&tenant.id, "job_1").await.is_err());
        db.drop().await;
    }
}
