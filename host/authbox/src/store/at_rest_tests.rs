//! The store's secrets at rest, on SQLite (always) and PostgreSQL (with
//! `AUTHBOX_TEST_POSTGRES_URL`): sealed in a dump, read back after a
//! restart, refused with the wrong key (nothing changed), sealed at the
//! first opening of an older store, rotated, and bound to their rows.

use std::collections::BTreeMap;

use sqlx::Connection as _;

use super::*;
use authbox_tests::legacy::{Backend, LegacyDb, execute};

const CONFIG_SECRET: &str = "cfg-s3cret-4f1d9a";
const DATASOURCE_SECRET: &str = "ds-s3cret-password-77c2";
const SIGNING_SECRET: &str = "pk-s3cret-MIIEvQIBADANBgkq";

fn settings() -> ConnectionSettings {
    ConnectionSettings {
        config: BTreeMap::from([("API_KEY".into(), CONFIG_SECRET.into())]),
        datasources: BTreeMap::from([(
            "users".into(),
            format!("postgres://legacy:{DATASOURCE_SECRET}@db.internal/users"),
        )]),
        ..ConnectionSettings::default()
    }
}

fn signing_key() -> SigningKey {
    SigningKey {
        kid: "kid-1".into(),
        private_key_pem: format!("-----BEGIN PRIVATE KEY-----\n{SIGNING_SECRET}"),
    }
}

/// A fresh database per backend.
async fn databases(test: &str) -> Vec<LegacyDb> {
    let mut databases = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        databases.extend(LegacyDb::empty(backend, test).await);
    }
    databases
}

/// Tenant `acme` with a connection holding secrets and a signing key;
/// answers the tenant's and the connection's ids.
async fn fill(store: &SqlStore) -> (String, String) {
    let tenant = store.create_tenant("acme").await.unwrap();
    let connection = store
        .create_connection(&tenant.id, "legacy", &settings())
        .await
        .unwrap();
    store
        .add_signing_key(&tenant.id, &signing_key())
        .await
        .unwrap();
    (tenant.id, connection.id)
}

/// Reads the secrets back through the store.
async fn assert_reads_back(store: &SqlStore, tenant: &str, connection: &str) {
    let read = store.connection(tenant, connection).await.unwrap();
    assert_eq!(read.settings, settings());
    assert_eq!(
        store.signing_key(tenant).await.unwrap(),
        Some(signing_key())
    );
}

/// Every value of the sealed columns and the key's check, as stored.
async fn raw_values(url: &str) -> Vec<String> {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut values = Vec::new();
    for sql in [
        "SELECT id || ' ' || settings FROM connections ORDER BY id",
        "SELECT tenant_id || ' ' || private_key FROM signing_keys ORDER BY tenant_id",
        "SELECT key_id || ' ' || key_check FROM secret_key",
    ] {
        let column: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap();
        values.extend(column);
    }
    conn.close().await.unwrap();
    values
}

fn assert_no_secret_in(text: &str, what: &str) {
    for secret in [CONFIG_SECRET, DATASOURCE_SECRET, SIGNING_SECRET] {
        assert!(!text.contains(secret), "{what} shows {secret}");
    }
}

#[tokio::test]
async fn a_dump_of_the_store_shows_no_secret_and_the_store_reads_them_back() {
    for db in databases("a_dump_shows_no_secret").await {
        let key = SecretKey::generate();
        let store = SqlStore::open(&db.url, key.clone()).await.unwrap();
        let (tenant, connection) = fill(&store).await;
        assert_reads_back(&store, &tenant, &connection).await;

        let values = raw_values(&db.url).await;
        assert_eq!(values.len(), 3);
        for value in &values {
            assert_no_secret_in(value, "a stored value");
        }
        let sealed = format!("enc:v1:{}:", key.id());
        assert!(values[0].contains(&sealed) && values[1].contains(&sealed));
        if let Some(path) = db.url.strip_prefix("sqlite:") {
            // The database files (the store's, the tenant log's) and their
            // write-ahead logs, while the store is open.
            let files = [path.to_string(), format!("{path}-logs")];
            for file in files.iter().flat_map(|f| [f.clone(), format!("{f}-wal")]) {
                let bytes = std::fs::read(&file).unwrap();
                assert_no_secret_in(&String::from_utf8_lossy(&bytes), &file);
            }
        }
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn a_restart_reads_back_and_a_wrong_key_is_refused_with_nothing_changed() {
    for db in databases("a_wrong_key_is_refused").await {
        let key = SecretKey::generate();
        let store = SqlStore::open(&db.url, key.clone()).await.unwrap();
        let (tenant, connection) = fill(&store).await;
        store.close().await;

        let store = SqlStore::open(&db.url, key.clone()).await.unwrap();
        assert_reads_back(&store, &tenant, &connection).await;
        store.close().await;

        let before = raw_values(&db.url).await;
        let wrong = SecretKey::generate();
        match SqlStore::open(&db.url, wrong.clone()).await {
            Err(e @ StoreError::WrongSecretKey { .. }) => {
                let message = e.to_string();
                assert!(message.contains(key.id()) && message.contains(wrong.id()));
                assert!(message.contains("nothing in the store was changed"));
                assert!(!message.contains(key.to_base64().as_str()));
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(raw_values(&db.url).await, before);

        let store = SqlStore::open(&db.url, key).await.unwrap();
        assert_reads_back(&store, &tenant, &connection).await;
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn the_plain_rows_of_a_store_made_before_keys_are_sealed_at_its_first_opening() {
    for db in databases("plain_rows_are_sealed").await {
        let store = SqlStore::open(&db.url, SecretKey::generate())
            .await
            .unwrap();
        let (tenant, connection) = fill(&store).await;
        store.close().await;
        // What a store made before this change holds.
        let plain = serde_json::to_string(&settings()).unwrap();
        execute(
            &db.url,
            &format!(
                "UPDATE connections SET settings = '{plain}'; \
                 UPDATE signing_keys SET private_key = '{}'; \
                 DROP TABLE secret_key; DELETE FROM authbox_migrations WHERE version = 6;",
                signing_key().private_key_pem
            ),
        )
        .await;

        let key = SecretKey::generate();
        let store = SqlStore::open(&db.url, key.clone()).await.unwrap();
        let values = raw_values(&db.url).await;
        for value in &values {
            assert_no_secret_in(value, "a stored value");
        }
        assert!(values[2].starts_with(key.id()));
        assert_reads_back(&store, &tenant, &connection).await;
        store.close().await;
        // From then on the key is the store's.
        assert!(matches!(
            SqlStore::open(&db.url, SecretKey::generate()).await,
            Err(StoreError::WrongSecretKey { .. })
        ));
        db.drop().await;
    }
}

#[tokio::test]
async fn after_a_rotation_the_old_key_is_refused_and_the_new_one_reads_everything() {
    for db in databases("a_rotation").await {
        let old = SecretKey::generate();
        let store = SqlStore::open(&db.url, old.clone()).await.unwrap();
        let (tenant, connection) = fill(&store).await;
        store.close().await;

        let new = SecretKey::generate();
        // A wrong old key rotates nothing; nor does the key in use.
        let before = raw_values(&db.url).await;
        assert!(matches!(
            rotate_secret_key(&db.url, &SecretKey::generate(), &new).await,
            Err(StoreError::WrongSecretKey { .. })
        ));
        assert!(matches!(
            rotate_secret_key(&db.url, &old, &old).await,
            Err(StoreError::SecretKey(SecretKeyError::Unchanged(_)))
        ));
        assert_eq!(raw_values(&db.url).await, before);

        let rotation = rotate_secret_key(&db.url, &old, &new).await.unwrap();
        assert_eq!(
            rotation,
            Rotation {
                old_key_id: old.id().into(),
                new_key_id: new.id().into(),
                values: 2,
            }
        );
        match SqlStore::open(&db.url, old.clone()).await {
            Err(StoreError::WrongSecretKey { stored, given }) => {
                assert_eq!((stored.as_str(), given.as_str()), (new.id(), old.id()));
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        for value in raw_values(&db.url).await {
            assert_no_secret_in(&value, "a stored value");
            assert!(!value.contains(old.id()));
        }
        let store = SqlStore::open(&db.url, new).await.unwrap();
        assert_reads_back(&store, &tenant, &connection).await;
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn a_sealed_value_copied_into_another_row_is_refused() {
    for db in databases("a_copied_value_is_refused").await {
        let store = SqlStore::open(&db.url, SecretKey::generate())
            .await
            .unwrap();
        let (acme, acme_connection) = fill(&store).await;
        let other = store.create_tenant("other").await.unwrap();
        let other_connection = store
            .create_connection(&other.id, "legacy", &ConnectionSettings::default())
            .await
            .unwrap();
        store
            .add_signing_key(
                &other.id,
                &SigningKey {
                    kid: "kid-other".into(),
                    private_key_pem: "other".into(),
                },
            )
            .await
            .unwrap();
        // Someone with the database copies acme's secrets into `other`.
        execute(
            &db.url,
            &format!(
                "UPDATE connections SET settings = \
                 (SELECT settings FROM connections WHERE id = '{acme_connection}') \
                 WHERE id = '{}'; \
                 UPDATE signing_keys SET private_key = \
                 (SELECT private_key FROM signing_keys WHERE tenant_id = '{acme}') \
                 WHERE tenant_id = '{}';",
                other_connection.id, other.id
            ),
        )
        .await;
        match store.connection(&other.id, &other_connection.id).await {
            Err(e @ StoreError::Unsealable { .. }) => {
                let message = e.to_string();
                assert!(message.contains(&other_connection.id), "{message}");
                assert!(message.contains("copied from another row"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            store.signing_key(&other.id).await,
            Err(StoreError::Unsealable { .. })
        ));
        assert!(store.connections(&other.id).await.is_err());
        // Acme's own rows still read.
        assert_reads_back(&store, &acme, &acme_connection).await;
        store.close().await;
        db.drop().await;
    }
}
