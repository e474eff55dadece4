//! `update_user` on both store backends: policy refusals change nothing,
//! merges follow docs/behaviour.md §4, concurrent patches lose nothing.

use serde_json::{Map, Value, json};

use super::*;
use crate::runtime::capabilities::password::{CostLimits, HashPool};
use crate::runtime::profile::{ProfileSource, normalize};
use crate::store::{LoginRecord, SecretKey, SqlStore, Store};
use authbox_tests::legacy::{Backend, LegacyDb};

/// A store per backend with tenant `acme` and one cached user `auth0|legacy|1`.
async fn stores_with_a_user(test: &str) -> Vec<(SqlStore, String, LegacyDb)> {
    let mut stores = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = LegacyDb::empty(backend, test).await else {
            continue;
        };
        let store = SqlStore::open(&db.url, SecretKey::generate())
            .await
            .unwrap();
        let tenant = store.create_tenant("acme").await.unwrap();
        let conn = store
            .create_connection(&tenant.id, "legacy", &Default::default())
            .await
            .unwrap();
        let Value::Object(returned) = json!({
            "user_id": "legacy|1", "email": "ada@example.com",
            "user_metadata": {"theme": "dark", "nested": {"a": 1}}
        }) else {
            unreachable!()
        };
        let profile = normalize(returned, &ProfileSource::default())
            .unwrap()
            .profile;
        store
            .record_login(LoginRecord {
                is_login: true,
                tenant_id: &tenant.id,
                connection_id: &conn.id,
                profile: &profile,
                ip: None,
                sync_root_attributes: true,
            })
            .await
            .unwrap();
        stores.push((store, tenant.id, db));
    }
    stores
}

fn patch(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

const USER: &str = "auth0|legacy|1";

/// `update_user` of [`USER`] with the default settings.
async fn update(
    store: &dyn Store,
    tenant: &str,
    patch: &Map<String, Value>,
) -> Result<crate::store::CachedUser, UpdateError> {
    let settings = UpdateSettings {
        max_metadata_bytes: DEFAULT_MAX_METADATA_BYTES,
        hashing: HashPool::new(1, 1, CostLimits::default()),
    };
    update_user(store, &settings, tenant, USER, patch).await
}

#[tokio::test]
async fn a_refused_patch_changes_nothing_and_names_every_field() {
    for (store, tenant, db) in stores_with_a_user("refused_patch").await {
        let before = store.user(&tenant, USER).await.unwrap();
        let refused = update(
            &store,
            &tenant,
            &patch(json!({"nickname": "x", "picture": "http://x", "user_metadata": {"k": 1}})),
        )
        .await
        .unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("The following user attributes cannot be updated: nickname, picture."),
            "{refused}"
        );
        assert_eq!(store.user(&tenant, USER).await.unwrap(), before);
        let unknown = update(&store, &tenant, &patch(json!({"shoe_size": 9}))).await;
        assert!(matches!(
            unknown,
            Err(UpdateError::Policy(PolicyError::UnknownProperties(_)))
        ));
        let bad_key = update(
            &store,
            &tenant,
            &patch(json!({"user_metadata": {"a.b": 1}})),
        )
        .await;
        assert!(matches!(bad_key, Err(UpdateError::Metadata(_))));
        let too_big = patch(json!({"app_metadata": {"blob": "x".repeat(20_000)}}));
        let too_big = update(&store, &tenant, &too_big).await;
        assert!(matches!(
            too_big,
            Err(UpdateError::Metadata(MetadataError::TooLarge { .. }))
        ));
        assert_eq!(store.user(&tenant, USER).await.unwrap(), before);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn metadata_merges_and_blocked_toggles() {
    for (store, tenant, db) in stores_with_a_user("merge_patch").await {
        let updated = update(&store, &tenant, &patch(json!({"user_metadata": {"theme": null, "nested": {"b": 2}, "lang": "en"}, "blocked": true})))
        .await
        .unwrap();
        assert_eq!(
            Value::Object(updated.user_metadata),
            json!({"nested": {"b": 2}, "lang": "en"})
        );
        assert!(updated.blocked);
        let cleared = update(
            &store,
            &tenant,
            &patch(json!({"user_metadata": {}, "blocked": false})),
        )
        .await
        .unwrap();
        assert!(cleared.user_metadata.is_empty() && !cleared.blocked);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_patches_lose_no_key() {
    for (store, tenant, db) in stores_with_a_user("concurrent_patches").await {
        let patches: Vec<_> = (0..100)
            .map(|i| {
                let (store, tenant) = (store.clone(), tenant.clone());
                tokio::spawn(async move {
                    let body = patch(json!({"app_metadata": {format!("key{i}"): i}}));
                    update(&store, &tenant, &body).await
                })
            })
            .collect();
        for patch in patches {
            patch.await.unwrap().unwrap();
        }
        let user = store.user(&tenant, USER).await.unwrap();
        assert_eq!(
            user.app_metadata.len(),
            100,
            "{:?}",
            user.app_metadata.keys()
        );
        store.close().await;
        db.drop().await;
    }
}
