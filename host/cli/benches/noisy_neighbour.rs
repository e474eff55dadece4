//! The noisy-neighbour benchmark: tenant B logs in (the `sqlite` template,
//! bcrypt cost 10) through the release `authbox serve` over loopback, alone
//! and while tenant A floods its own connection with hostile logins at 200
//! in flight: (a) a script hashing bcrypt-14 until its deadline, (b) one
//! that spins, (c) one that returns a 50 MB error. Prints B's p50/p99 and
//! failures in each phase, the server's peak RSS, and how long B takes to
//! come back to its unloaded latency once the flood stops.
//!
//!     cargo bench --workspace --bench noisy_neighbour [-- FLOOD_SECONDS]
//!
//! `AUTHBOX_BIN=PATH` runs another build of `authbox` (e.g. an older one,
//! for a before/after); the fixtures are this tree's.
//! `AUTHBOX_BENCH_NO_PROTECTION=1` switches both tenants' attack protection
//! off first (to measure what it costs).
//!
//! (The numbers are in BENCHMARKS.md; this is not a test: it asserts
//! nothing and CI does not run it.)

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use authbox_tests::legacy::{Backend, LegacyDb};
use authbox_tests::serve_process::{ServeProcess, authbox_json, rss_of};
use serde_json::{Value, json};

/// The `authbox` to run: `AUTHBOX_BIN`, else this tree's release build.
fn bin() -> std::path::PathBuf {
    std::env::var_os("AUTHBOX_BIN").map_or_else(|| env!("CARGO_BIN_EXE_authbox").into(), Into::into)
}
const FLOODERS: usize = 200;
const ALONE: Duration = Duration::from_secs(5);
const AFTER: Duration = Duration::from_secs(6);

/// One tenant's credentials.
struct Tenant {
    key: String,
    client_id: String,
    client_secret: String,
}

fn tenant(name: &str, store: &[String]) -> Tenant {
    let bin = &bin();
    authbox_json(bin, &["tenant", "create", name], store);
    let key = authbox_json(bin, &["keys", "create", "--tenant", name], store)["key"]
        .as_str()
        .unwrap()
        .to_string();
    let client = authbox_json(bin, &["clients", "create", "--tenant", name], store);
    Tenant {
        key,
        client_id: client["client_id"].as_str().unwrap().to_string(),
        client_secret: client["client_secret"].as_str().unwrap().to_string(),
    }
}

async fn connection(http: &reqwest::Client, base: &str, tenant: &Tenant, body: Value, wasm: &str) {
    let created: Value = http
        .post(format!("{base}/api/v2/connections"))
        .bearer_auth(&tenant.key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    let upload = http
        .put(format!("{base}/api/v2/connections/{id}/script"))
        .bearer_auth(&tenant.key)
        .header("content-type", "application/wasm")
        .body(std::fs::read(wasm).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
}

/// One password-realm login: its status (0 if the request failed).
async fn login(
    http: &reqwest::Client,
    base: &str,
    tenant: &Tenant,
    realm: &str,
    username: &str,
    password: &str,
) -> u16 {
    let form = [
        (
            "grant_type",
            "http://auth0.com/oauth/grant-type/password-realm",
        ),
        ("realm", realm),
        ("username", username),
        ("password", password),
        ("client_id", &tenant.client_id),
        ("client_secret", &tenant.client_secret),
    ];
    match http
        .post(format!("{base}/oauth/token"))
        .form(&form)
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            status
        }
        Err(_) => 0,
    }
}

/// B's logins: when each ended, how long it took, whether it succeeded.
#[derive(Default)]
struct Samples(Vec<(Instant, Duration, bool)>);

impl Samples {
    /// The logins sent from `from` to `to` (however long they took).
    fn sent_between(&self, from: Instant, to: Instant) -> Vec<(Duration, bool)> {
        self.0
            .iter()
            .filter(|(at, took, _)| *at - *took >= from && *at - *took < to)
            .map(|(_, took, ok)| (*took, *ok))
            .collect()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// (count, failures, p50, p99) of these samples.
fn summary(samples: &[(Duration, bool)]) -> (usize, usize, Duration, Duration) {
    let mut took: Vec<Duration> = samples.iter().map(|(t, _)| *t).collect();
    took.sort();
    let failed = samples.iter().filter(|(_, ok)| !ok).count();
    (
        samples.len(),
        failed,
        percentile(&took, 0.5),
        percentile(&took, 0.99),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Switches the tenant's brute-force protection and suspicious-IP
/// throttling off (to measure what they cost).
async fn disable_attack_protection(http: &reqwest::Client, base: &str, tenant: &Tenant) {
    for shield in ["brute-force-protection", "suspicious-ip-throttling"] {
        let answer = http
            .patch(format!("{base}/api/v2/attack-protection/{shield}"))
            .bearer_auth(&tenant.key)
            .json(&json!({"enabled": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{shield}");
    }
}

fn main() {
    let flood_for = Duration::from_secs(
        std::env::args()
            .skip(1)
            .find_map(|a| a.parse().ok())
            .unwrap_or(15),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(flood_for));
}

async fn bench(flood_for: Duration) {
    let data = tempfile::tempdir().unwrap();
    let store = vec!["--data-dir".to_string(), data.path().display().to_string()];
    let legacy = LegacyDb::seeded(Backend::Sqlite, "noisy").await.unwrap();
    let legacy_dir = Path::new(legacy.url.strip_prefix("sqlite:").unwrap())
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap();
    let a = Arc::new(tenant("a", &store));
    let b = tenant("b", &store);
    let sqlite_dir = legacy_dir.display().to_string();
    let server = ServeProcess::spawn(&bin(), &["--sqlite-dir", &sqlite_dir], &store, "warn");
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(FLOODERS + 8)
        .build()
        .unwrap();
    connection(
        &http,
        &base,
        &b,
        json!({"name": "legacy", "options": {"datasources": {"users": legacy.url}}}),
        authbox_tests::SQLITE,
    )
    .await;
    connection(
        &http,
        &base,
        &a,
        json!({"name": "hostile"}),
        authbox_tests::HOSTILE,
    )
    .await;
    if std::env::var_os("AUTHBOX_BENCH_NO_PROTECTION").is_some() {
        for tenant in [a.as_ref(), &b] {
            disable_attack_protection(&http, &base, tenant).await;
        }
    }

    // B logs in, one login after the other, for the whole run.
    let started = Instant::now();
    let stop_b = Arc::new(AtomicBool::new(false));
    let b_task = {
        let (http, base, stop) = (http.clone(), base.clone(), stop_b.clone());
        tokio::spawn(async move {
            let mut samples = Samples::default();
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let status = login(
                    &http,
                    &base,
                    &b,
                    "legacy",
                    "ada@example.com",
                    "correct horse battery staple",
                )
                .await;
                samples
                    .0
                    .push((Instant::now(), sent.elapsed(), status == 200));
            }
            samples
        })
    };
    // The server's resident memory, sampled every 50 ms.
    let peak_rss = Arc::new(AtomicU64::new(0));
    let pid = server.child.id();
    let rss_task = {
        let peak = peak_rss.clone();
        tokio::spawn(async move {
            loop {
                if let Some(rss) = rss_of(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    tokio::time::sleep(ALONE).await;
    let alone_end = Instant::now();
    let baseline_rss = peak_rss.swap(0, Ordering::Relaxed);
    let mut phases = Vec::new();
    for (flood, username) in [
        ("bcrypt-14 until the deadline", "hash-loop"),
        ("spinning until the deadline", "loop"),
        ("a 50 MB error", "huge-error"),
    ] {
        let flood_start = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let statuses = Arc::new(std::sync::Mutex::new(
            std::collections::BTreeMap::<u16, u64>::new(),
        ));
        let flooders: Vec<_> = (0..FLOODERS)
            .map(|_| {
                let (http, base, stop, statuses, a) = (
                    http.clone(),
                    base.clone(),
                    stop.clone(),
                    statuses.clone(),
                    a.clone(),
                );
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let status = login(&http, &base, &a, "hostile", username, "pw").await;
                        *statuses.lock().unwrap().entry(status).or_default() += 1;
                    }
                })
            })
            .collect();
        tokio::time::sleep(flood_for).await;
        // The flood stops: its requests in flight are dropped (their
        // connections closed), as clients that give up.
        stop.store(true, Ordering::Relaxed);
        for flooder in flooders {
            flooder.abort();
        }
        let flood_end = Instant::now();
        tokio::time::sleep(AFTER).await;
        let peak = peak_rss.swap(0, Ordering::Relaxed);
        phases.push((
            flood,
            flood_start,
            flood_end,
            peak,
            statuses.lock().unwrap().clone(),
        ));
    }
    stop_b.store(true, Ordering::Relaxed);
    let samples = b_task.await.unwrap();
    rss_task.abort();

    let alone = summary(&samples.sent_between(started + Duration::from_secs(1), alone_end));
    let unloaded_p99 = alone.3;
    println!(
        "B alone: {} logins, {} failed, p50 {}, p99 {}; server RSS {} MiB",
        alone.0,
        alone.1,
        ms(alone.2),
        ms(alone.3),
        baseline_rss >> 20
    );
    println!();
    println!(
        "| A floods with | B's logins sent | failed | p50 | p99 | back to unloaded p99 after | server peak RSS | A's answers |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (flood, start, end, peak, statuses) in phases {
        let during = summary(&samples.sent_between(start, end));
        let after = samples.sent_between(end, end + AFTER);
        let back = back_after(&samples, end, unloaded_p99).map_or("not within 6 s".to_string(), ms);
        let answers = statuses
            .iter()
            .map(|(status, n)| format!("{n}× {status}"))
            .collect::<Vec<_>>()
            .join(", ");
        let failed_after = after.iter().filter(|(_, ok)| !ok).count();
        println!(
            "| {flood} | {} | {} (+{failed_after} after) | {} | {} | {back} | {} MiB | {answers} |",
            during.0,
            during.1,
            ms(during.2),
            ms(during.3),
            peak >> 20
        );
    }
    drop(server);
}

/// How long after `end` B's logins were back within twice
/// `unloaded_p99`: the end of the last slower (or failed) one in the
/// [`AFTER`] window (none: zero).
fn back_after(samples: &Samples, end: Instant, unloaded_p99: Duration) -> Option<Duration> {
    let after: Vec<_> = samples
        .0
        .iter()
        .filter(|(at, ..)| *at >= end && *at < end + AFTER)
        .collect();
    if after.len() < 5 {
        return None;
    }
    let last_slow = after
        .iter()
        .rev()
        .find(|(_, took, ok)| !ok || *took > unloaded_p99 * 2);
    Some(last_slow.map_or(Duration::ZERO, |(at, ..)| at.duration_since(end)))
}
