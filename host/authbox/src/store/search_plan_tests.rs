//! Searches as SQLite reads them ([`SearchPlan`]): the same users found and
//! counted whichever part is read through its index, and on more users
//! than a dense part matches, the plan chosen and the index SQLite reads.

use serde_json::json;
use sqlx::Row;

use super::search::{SearchStatements, bind_all};
use super::search_plan::SearchPlan;
use super::tests::{login_of, profile, tenant_with_connection};
use super::*;
use crate::search::{MAX_RESULTS, UserSearch, parse};
use authbox_tests::legacy::{Backend, LegacyDb};

/// A SQLite store with one tenant whose `users` users are named `User <i>`
/// (`user_id` `u<i>`, five digits), half of them on the `gold` plan, every
/// tenth blocked.
async fn sqlite_store(test: &str, users: usize) -> (SqlStore, LegacyDb, String) {
    let db = LegacyDb::empty(Backend::Sqlite, test).await.unwrap();
    let store = SqlStore::open(&db.url, SecretKey::generate())
        .await
        .unwrap();
    let (tenant, connection) = tenant_with_connection(&store, "acme", "legacy").await;
    for i in 0..users {
        let plan = ["gold", "free"][i % 2];
        let user = profile(json!({
            "user_id": format!("u{i:05}"),
            "email": format!("user{i}@example.com"),
            "name": format!("User {i}"),
            "app_metadata": {"plan": plan},
        }));
        let user = store
            .record_login(login_of(&tenant.id, &connection.id, &user))
            .await
            .unwrap();
        if i % 10 == 0 {
            let blocked = UserChanges {
                blocked: Some(true),
                ..UserChanges::default()
            };
            store
                .update_user(&tenant.id, &user.user_id, user.revision, &blocked)
                .await
                .unwrap()
                .unwrap();
        }
    }
    (store, db, tenant.id)
}

fn search(q: &str, sort: Option<&str>) -> UserSearch {
    UserSearch {
        query: Some(parse(q).unwrap()),
        sort: sort.map(|s| s.parse().unwrap()),
        page: 0,
        per_page: 7,
        include_totals: true,
    }
}

/// The ids of a page's users and the total.
async fn found(
    store: &SqlStore,
    tenant_id: &str,
    search: &UserSearch,
    plan: &SearchPlan,
) -> (Vec<String>, Option<u64>) {
    let (users, total) = store.search_planned(tenant_id, search, plan).await.unwrap();
    (users.into_iter().map(|u| u.user_id).collect(), total)
}

#[tokio::test]
async fn every_part_read_through_its_index_or_checked_finds_the_same_users() {
    let (store, db, tenant_id) = sqlite_store("search_plan_forms", 60).await;
    let queries = [
        r"name:user\ 1* AND app_metadata.plan:gold",
        r#"email:"user12@example.com" AND NOT blocked:true AND identities.connection:legacy"#,
        "(app_metadata.plan:gold OR app_metadata.plan:free) AND NOT blocked:true \
         AND created_at:[2000-01-01 TO *] AND user_id:auth0|u000*",
        r"blocked:true AND (name:user\ 2* OR nickname:nobody) AND logins_count:[1 TO 3]",
        "app_metadata.plan:* AND user_id:auth0|u0005*",
    ];
    for q in queries {
        for sort in [None, Some("name:-1"), Some("logins_count:1")] {
            let search = search(q, sort);
            let written = super::search::plan_as_written(&search);
            let expected = found(&store, &tenant_id, &search, &written).await;
            assert!(!expected.0.is_empty(), "{q}: the test finds someone");
            let parts = written.checked.len();
            // Every part checked, then each part alone read through its
            // index and the others, the sort and the tenant checked.
            let plans = std::iter::once((vec![true; parts], false))
                .chain((0..parts).map(|driver| ((0..parts).map(|i| i != driver).collect(), true)));
            for (checked, driven) in plans {
                let plan = SearchPlan {
                    checked: checked.clone(),
                    sort_checked: driven,
                    tenant_checked: driven,
                    ..written.clone()
                };
                assert_eq!(
                    found(&store, &tenant_id, &search, &plan).await,
                    expected,
                    "{q}, sorted by {sort:?}, checked {checked:?}"
                );
            }
        }
    }
    store.close().await;
    db.drop().await;
}

/// The lines of SQLite's plan for the page of `search` written as `plan`.
async fn page_plan(
    store: &SqlStore,
    tenant_id: &str,
    search: &UserSearch,
    plan: &SearchPlan,
) -> String {
    let statements = SearchStatements::new(search, plan, "users.user_id", false);
    let (page, binds) = statements.page_sql();
    let explain = format!("EXPLAIN QUERY PLAN {page}");
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(explain)), tenant_id, binds)
        .fetch_all(&store.pool)
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String, _>("detail").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn sqlite_reads_the_rarest_part_through_its_index_or_else_the_sort_s_order() {
    let users = MAX_RESULTS as usize + 100;
    let (store, db, tenant_id) = sqlite_store("search_plan_chosen", users).await;

    // Two dense parts (every user): checked, read in user_id order, the
    // first page found without a sort of the matches.
    let dense = search("name:user* AND created_at:[2000-01-01 TO *]", None);
    let plan = store.search_plan(&tenant_id, &dense).await.unwrap();
    assert_eq!(plan.checked, [true, true]);
    assert!(!plan.sort_checked);
    let explained = page_plan(&store, &tenant_id, &dense, &plan).await;
    assert!(!explained.contains("TEMP B-TREE"), "{explained}");
    let (ids, total) = found(&store, &tenant_id, &dense, &plan).await;
    let first: Vec<String> = (0..7).map(|i| format!("auth0|u{i:05}")).collect();
    assert_eq!((ids, total), (first, Some(u64::from(MAX_RESULTS))));

    // One rare part: read through its index, the dense one checked.
    let rare = search(
        r#"name:user* AND email:"user1042@example.com""#,
        Some("name:1"),
    );
    let plan = store.search_plan(&tenant_id, &rare).await.unwrap();
    assert_eq!(plan.checked, [true, false]);
    assert!(plan.sort_checked);
    let explained = page_plan(&store, &tenant_id, &rare, &plan).await;
    assert!(explained.contains("users_search_email"), "{explained}");
    let (ids, total) = found(&store, &tenant_id, &rare, &plan).await;
    assert_eq!((ids, total), (vec!["auth0|u01042".to_string()], Some(1)));

    // The rarer of two rare parts (the metadata matches half the users,
    // 550; the name prefix 111, `User 10` and `User 100` to `User 109`,
    // `User 1000` to `User 1099`).
    let rarer = search(r"app_metadata.plan:gold AND name:user\ 10*", None);
    let plan = store.search_plan(&tenant_id, &rarer).await.unwrap();
    assert_eq!(plan.checked, [true, false]);
    assert!(plan.sort_checked);
    let explained = page_plan(&store, &tenant_id, &rarer, &plan).await;
    assert!(explained.contains("users_search_name"), "{explained}");
    let (ids, total) = found(&store, &tenant_id, &rarer, &plan).await;
    assert_eq!(ids[..3], ["auth0|u00010", "auth0|u00100", "auth0|u00102"]);
    assert_eq!(total, Some(56));

    // A rare connection: read through the connection's index, whose
    // first column is the connection, not the tenant.
    let rare = store
        .create_connection(&tenant_id, "rare", &ConnectionSettings::default())
        .await
        .unwrap();
    for i in 0..5 {
        let user = profile(json!({"user_id": format!("r{i}"), "name": format!("User r{i}")}));
        store
            .record_login(login_of(&tenant_id, &rare.id, &user))
            .await
            .unwrap();
    }
    let of_rare = search("identities.connection:rare AND name:user*", None);
    let plan = store.search_plan(&tenant_id, &of_rare).await.unwrap();
    assert_eq!(plan.checked, [false, true]);
    assert!(plan.sort_checked && plan.tenant_checked);
    let explained = page_plan(&store, &tenant_id, &of_rare, &plan).await;
    assert!(explained.contains("(connection_id=?)"), "{explained}");
    let (ids, total) = found(&store, &tenant_id, &of_rare, &plan).await;
    let expected: Vec<String> = (0..5).map(|i| format!("auth0|r{i}")).collect();
    assert_eq!((ids, total), (expected, Some(5)));

    // Dense parts sorted by a column no index holds: left as written.
    let unsorted = search(
        "name:user* AND created_at:[2000-01-01 TO *]",
        Some("logins_count:-1"),
    );
    let plan = store.search_plan(&tenant_id, &unsorted).await.unwrap();
    assert_eq!(plan.checked, [false, false]);
    assert!(!plan.sort_checked);
    store.close().await;
    db.drop().await;
}
