//! Logins and metadata patches per second through the library (`Authbox`),
//! on the SQLite store and, with `AUTHBOX_TEST_POSTGRES_URL`, on PostgreSQL.
//! The script (`echo-user`) checks no password, so what is measured is the
//! call plus the cache: read, write, read back.

use std::sync::Arc;
use std::time::Duration;

mod common;

use authbox::flows::{Authbox, LoginContext};
use authbox_tests::legacy::{Backend, LegacyDb};
use common::echo_tenant;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

/// Requests in flight at once, as a server would have them.
const CONCURRENCY: usize = 32;
/// Requests per measured batch.
const BATCH: usize = 2000;
/// Distinct users the logins spread over.
const USERS: usize = 1000;

struct Target {
    label: &'static str,
    authbox: Authbox,
    tenant: String,
}

async fn target(label: &'static str, store_url: String) -> Target {
    let (authbox, tenant) = echo_tenant(store_url).await;
    Target {
        label,
        authbox,
        tenant,
    }
}

/// Runs `BATCH` requests, `CONCURRENCY` at a time.
async fn batch<F, Fut>(request: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let request = Arc::new(request);
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(async move {
                for i in (worker..BATCH).step_by(CONCURRENCY) {
                    request(i).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
}

fn flows(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![tokio.block_on(target(
        "sqlite store",
        format!("sqlite:{}", dir.path().join("authbox.db").display()),
    ))];
    let postgres = tokio.block_on(LegacyDb::empty(Backend::Postgres, "bench flows"));
    if let Some(db) = &postgres {
        targets.push(tokio.block_on(target("postgres store", db.url.clone())));
    }

    let mut group = c.benchmark_group("library");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for t in &targets {
        let (authbox, tenant) = (t.authbox.clone(), t.tenant.clone());
        // Every user has logged in once: the measured logins are refreshes.
        tokio.block_on(batch({
            let (authbox, tenant) = (authbox.clone(), tenant.clone());
            move |i| {
                let (authbox, tenant) = (authbox.clone(), tenant.clone());
                async move {
                    let email = format!("user{}@example.com", i % USERS);
                    let ctx = LoginContext::default();
                    authbox
                        .login(&tenant, "echo", &email, "x", &ctx)
                        .await
                        .unwrap();
                }
            }
        }));
        group.bench_function(format!("logins, {}", t.label), |b| {
            b.to_async(&tokio).iter(|| {
                let (authbox, tenant) = (authbox.clone(), tenant.clone());
                batch(move |i| {
                    let (authbox, tenant) = (authbox.clone(), tenant.clone());
                    async move {
                        let email = format!("user{}@example.com", i % USERS);
                        let ctx = LoginContext {
                            ip: Some("192.0.2.1".into()),
                            ..LoginContext::default()
                        };
                        authbox
                            .login(&tenant, "echo", &email, "x", &ctx)
                            .await
                            .unwrap();
                    }
                })
            })
        });
        group.bench_function(format!("metadata patches, {}", t.label), |b| {
            b.to_async(&tokio).iter(|| {
                let (authbox, tenant) = (authbox.clone(), tenant.clone());
                batch(move |i| {
                    let (authbox, tenant) = (authbox.clone(), tenant.clone());
                    async move {
                        let user_id = format!("auth0|echo|user{}@example.com", i % USERS);
                        let patch = json!({"user_metadata": {"counter": i}});
                        authbox
                            .update_user(&tenant, &user_id, patch.as_object().unwrap())
                            .await
                            .unwrap();
                    }
                })
            })
        });
    }
    group.finish();
    if let Some(db) = postgres {
        tokio.block_on(db.drop());
    }
}

criterion_group!(benches, flows);
criterion_main!(benches);
