//! What bulk jobs cost the logins running beside them: logins per second
//! (the `echo-user` fixture, 32 in flight, refreshes of 1,000 cached users)
//! before, during and after a 100,000-user import job into the same
//! connection, then during an export (CSV) of that connection's users, on
//! the SQLite store and, with `AUTHBOX_TEST_POSTGRES_URL`, on PostgreSQL.
//! Issue 16's target: logins at most 20 % slower during the import. Prints
//! one line per measurement; `AUTHBOX_BENCH_POSTGRES_ONLY=1` skips SQLite.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use authbox::flows::{Authbox, ExportOptions, ImportOptions, LoginContext};
use authbox::jobs::ExportFormat;
use authbox::store::{Job, JobStatus};
use authbox_tests::legacy::{Backend, LegacyDb};
use common::echo_tenant;
use serde_json::json;

/// Logins in flight at once.
const CONCURRENCY: usize = 32;
/// Distinct users the logins spread over.
const USERS: usize = 1000;
/// Users in the imported file (`AUTHBOX_BENCH_IMPORTED` to try others).
fn imported() -> usize {
    std::env::var("AUTHBOX_BENCH_IMPORTED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}
/// How long the logins before and after the import are measured.
const WINDOW: Duration = Duration::from_secs(10);

/// Logins per second while `busy` holds (or for `WINDOW` if `busy` is
/// `None`).
async fn logins_per_second(authbox: &Authbox, tenant: &str, busy: Option<Arc<AtomicBool>>) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = busy.unwrap_or_else(|| {
        let flag = Arc::new(AtomicBool::new(true));
        let clear = flag.clone();
        tokio::spawn(async move {
            tokio::time::sleep(WINDOW).await;
            clear.store(false, Ordering::Relaxed);
        });
        flag
    });
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|worker| {
            let (authbox, tenant) = (authbox.clone(), tenant.to_string());
            let (done, stop) = (done.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = worker;
                while stop.load(Ordering::Relaxed) {
                    let email = format!("user{}@example.com", i % USERS);
                    authbox
                        .login(&tenant, "echo", &email, "x", &LoginContext::default())
                        .await
                        .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    i += CONCURRENCY;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// A users file of `IMPORTED` users with bcrypt hashes and metadata.
fn users_file() -> Vec<u8> {
    let hash = bcrypt::hash("imported-Pass1", 4).unwrap();
    let users: Vec<_> = (0..imported())
        .map(|i| {
            json!({
                "email": format!("imported{i}@import.example"), "email_verified": true,
                "given_name": "Imported", "family_name": format!("User {i}"),
                "password_hash": hash, "app_metadata": {"plan": "gold", "tier": i % 7},
                "user_metadata": {"lang": "en"}
            })
        })
        .collect();
    serde_json::to_vec(&users).unwrap()
}

async fn measure(label: &str, store_url: String, file: &[u8]) {
    let (authbox, tenant) = echo_tenant(store_url).await;
    let connection = authbox
        .connection_by_name(&tenant, "echo")
        .await
        .unwrap()
        .id;
    // Every user has logged in once: the measured logins are refreshes.
    for i in 0..USERS {
        let email = format!("user{i}@example.com");
        authbox
            .login(&tenant, "echo", &email, "x", &LoginContext::default())
            .await
            .unwrap();
    }
    let before = logins_per_second(&authbox, &tenant, None).await;
    println!("{label}: logins before the import: {before:.0}/s");

    let started = Instant::now();
    let job = authbox
        .create_users_import(&tenant, &connection, file, ImportOptions::default())
        .await
        .unwrap();
    let (during, job) = beside(&authbox, &tenant, job).await;
    let took = started.elapsed().as_secs_f64();
    let count = job.inserted;
    assert_eq!(count as usize, imported(), "{job:?}");
    println!(
        "{label}: logins during the import: {during:.0}/s ({:+.1} %); {count} users imported in {took:.1} s ({:.0} users/s)",
        (during / before - 1.0) * 100.0,
        count as f64 / took
    );
    let after = logins_per_second(&authbox, &tenant, None).await;
    println!("{label}: logins after the import: {after:.0}/s");

    let started = Instant::now();
    let options = ExportOptions {
        connection_id: Some(connection),
        format: ExportFormat::Csv,
        limit: None,
        fields: Vec::new(),
    };
    let job = authbox.create_users_export(&tenant, options).await.unwrap();
    let (during, job) = beside(&authbox, &tenant, job).await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    println!(
        "{label}: logins during the export: {during:.0}/s ({:+.1} % of after the import); {} users exported in {:.1} s",
        (during / after - 1.0) * 100.0,
        job.done,
        started.elapsed().as_secs_f64()
    );
}

/// Logins per second while `job` runs, and the job as it ended.
async fn beside(authbox: &Authbox, tenant: &str, job: Job) -> (f64, Job) {
    let running = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (authbox, tenant, running) = (authbox.clone(), tenant.to_string(), running.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let job = authbox.job(&tenant, &job.id).await.unwrap();
                if matches!(job.status, JobStatus::Completed | JobStatus::Failed) {
                    running.store(false, Ordering::Relaxed);
                    return job;
                }
            }
        })
    };
    let during = logins_per_second(authbox, tenant, Some(running)).await;
    (during, watcher.await.unwrap())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // this only has to build.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let file = users_file();
    let dir = tempfile::tempdir().unwrap();
    // `AUTHBOX_BENCH_POSTGRES_ONLY=1`: the PostgreSQL store alone.
    if std::env::var_os("AUTHBOX_BENCH_POSTGRES_ONLY").is_none() {
        tokio.block_on(measure(
            "sqlite store",
            format!("sqlite:{}", dir.path().join("authbox.db").display()),
            &file,
        ));
    }
    if let Some(db) = tokio.block_on(LegacyDb::empty(Backend::Postgres, "bench import")) {
        tokio.block_on(measure("postgres store", db.url.clone(), &file));
        tokio.block_on(db.drop());
    }
}
