//! User search over 100,000 cached users (`Authbox::search_users`, as
//! `GET /api/v2/users` runs it, with its total), on the SQLite store and,
//! with `AUTHBOX_TEST_POSTGRES_URL`, on PostgreSQL. The users are made by
//! logins through the `echo-user` fixture, whose password is the profile.
//! With `AUTHBOX_BENCH_KEEP_STORES=1` the stores are kept afterwards (their
//! addresses printed), to read the searches' plans on the same data (until
//! a later test process drops the PostgreSQL schema: test processes drop
//! the test schemas of processes that have ended).

use std::sync::Arc;
use std::time::Duration;

mod common;

use authbox::flows::{Authbox, LoginContext};
use authbox::search::{UserSearch, parse};
use authbox_tests::legacy::{Backend, LegacyDb};
use common::echo_tenant;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

/// Cached users.
const USERS: usize = 100_000;
/// Logins in flight while the users are made.
const CONCURRENCY: usize = 32;

/// The searches measured: `q` (none: list) and `sort`.
const SEARCHES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("list, first page", None, None),
    (
        "list sorted by created_at desc",
        None,
        Some("created_at:-1"),
    ),
    (
        "email exact",
        Some(r#"email:"user51234@example.com""#),
        None,
    ),
    ("name prefix (11,111 found)", Some(r"name:user\ 4*"), None),
    (
        "app_metadata (33,334 found)",
        Some("app_metadata.plan:gold"),
        None,
    ),
    (
        "user_metadata nested, sorted by name",
        Some("user_metadata.address.city:Paris"),
        Some("name:1"),
    ),
    (
        "logins_count range (all found), sorted",
        Some("logins_count:[1 TO *]"),
        Some("logins_count:-1"),
    ),
    (
        "AND/OR/NOT of four terms",
        Some(
            "(app_metadata.plan:gold OR app_metadata.plan:silver) AND NOT blocked:true AND name:user\\ 1*",
        ),
        None,
    ),
    (
        "connection and created_at range",
        Some("identities.connection:echo AND created_at:[2000-01-01 TO *]"),
        None,
    ),
];

async fn seeded(store_url: String) -> (Authbox, String) {
    let (authbox, tenant) = echo_tenant(store_url).await;
    let started = std::time::Instant::now();
    let shared = Arc::new((authbox.clone(), tenant.clone()));
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|worker| {
            let shared = shared.clone();
            tokio::spawn(async move {
                let (authbox, tenant) = &*shared;
                for i in (worker..USERS).step_by(CONCURRENCY) {
                    let plan = ["gold", "silver", "free"][i % 3];
                    let city = ["Paris", "Lyon", "Oslo", "Lima"][i % 4];
                    let shape = json!({
                        "name": format!("User {i}"),
                        "given_name": "User",
                        "email_verified": i % 2 == 0,
                        "app_metadata": {"plan": plan, "n": i},
                        "user_metadata": {"address": {"city": city}, "tags": ["a", "b"]},
                    });
                    let email = format!("user{i}@example.com");
                    authbox
                        .login(
                            tenant,
                            "echo",
                            &email,
                            &shape.to_string(),
                            &LoginContext::default(),
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    eprintln!(
        "{USERS} users cached in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (authbox, tenant)
}

fn search(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![(
        "sqlite store",
        tokio.block_on(seeded(format!(
            "sqlite:{}",
            dir.path().join("authbox.db").display()
        ))),
    )];
    let postgres = tokio.block_on(LegacyDb::empty(Backend::Postgres, "bench search"));
    if let Some(db) = &postgres {
        targets.push(("postgres store", tokio.block_on(seeded(db.url.clone()))));
        // What PostgreSQL's autovacuum does on its own after such a load
        // (statistics for the planner, the visibility map that lets a
        // count read the index alone); this machine's server runs with
        // it off.
        for table in ["users", "user_terms"] {
            tokio.block_on(db.run_sql(&format!("VACUUM ANALYZE {table}")));
        }
    }
    let mut group = c.benchmark_group("search over 100,000 users");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(3));
    for (label, (authbox, tenant)) in &targets {
        for (name, q, sort) in SEARCHES {
            let search = UserSearch {
                query: q.map(|q| parse(q).unwrap()),
                sort: sort.map(|s| s.parse().unwrap()),
                page: 0,
                per_page: 50,
                include_totals: true,
            };
            let (found, total) = tokio
                .block_on(authbox.search_users(tenant, &search))
                .unwrap();
            eprintln!(
                "{label}, {name}: {} on the page, {total:?} in all",
                found.len()
            );
            group.bench_function(format!("{name}, {label}"), |b| {
                b.to_async(&tokio)
                    .iter(|| async { authbox.search_users(tenant, &search).await.unwrap() })
            });
        }
    }
    group.finish();
    if std::env::var_os("AUTHBOX_BENCH_KEEP_STORES").is_some() {
        eprintln!("kept: {}", dir.keep().join("authbox.db").display());
        if let Some(db) = postgres {
            eprintln!("kept: {}", db.url);
        }
    } else if let Some(db) = postgres {
        tokio.block_on(db.drop());
    }
}

criterion_group!(benches, search);
criterion_main!(benches);
