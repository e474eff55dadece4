//! A load generator over loopback against `authbox serve`'s router, in one
//! process (server and client share the 2 cores; `benches/wrk/run.sh` runs
//! wrk against the release binary instead): logins per second with p50/p99
//! latency through `/oauth/token` (the `echo-user` script, which checks no
//! password, so what is measured is the server: the call, the cache and an
//! RS256 id token), and metadata PATCHes per second through the Management
//! API. Run: `cargo bench -p authbox-server --bench serve`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use authbox::flows::{Authbox, AuthboxConfig, SCOPES};
use authbox::store::ConnectionSettings;
use authbox_server::{ServerSettings, serve};
use serde_json::json;
use tokio::net::TcpListener;

/// Requests in flight at once: for throughput, and for latency at loads
/// the machine keeps up with.
const CONCURRENCY: usize = 32;
const LIGHTER_CONCURRENCIES: [usize; 2] = [16, 8];
/// How long each measurement runs, after a warm-up of a second.
const DURATION: Duration = Duration::from_secs(10);
/// Distinct users the logins spread over.
const USERS: usize = 1000;

struct Target {
    base: String,
    key: String,
    client_id: String,
    client_secret: String,
}

async fn start(dir: &std::path::Path) -> Target {
    let path = dir.join("authbox.db");
    let authbox = Authbox::open(AuthboxConfig::sqlite(&path.display().to_string()))
        .await
        .unwrap();
    let tenant = authbox.create_tenant("bench").await.unwrap().id;
    let connection = authbox
        .create_connection(&tenant, "echo", &ConnectionSettings::default())
        .await
        .unwrap();
    let wasm = std::fs::read(authbox_tests::ECHO_USER).unwrap();
    authbox
        .upload_script(&tenant, &connection.id, &wasm)
        .await
        .unwrap();
    let scopes: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
    let (_, key) = authbox.create_api_key(&tenant, &scopes).await.unwrap();
    let (client, client_secret) = authbox.create_client(&tenant, "bench").await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let settings = ServerSettings {
        issuer: format!("{base}/"),
        sqlite_dir: None,
    };
    tokio::spawn(serve(listener, authbox, settings, std::future::pending()));
    Target {
        base,
        key,
        client_id: client.client_id,
        client_secret,
    }
}

/// Runs `request` from `concurrency` workers for `duration`; answers the
/// latencies of the requests that succeeded and how many failed.
async fn load<F, Fut>(concurrency: usize, duration: Duration, request: F) -> (Vec<Duration>, usize)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let until = Instant::now() + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::new(), 0);
                let mut i = worker;
                while Instant::now() < until {
                    let started = Instant::now();
                    if request(i).await {
                        latencies.push(started.elapsed());
                    } else {
                        failed += 1;
                    }
                    i += concurrency;
                }
                (latencies, failed)
            })
        })
        .collect();
    let (mut all, mut failed) = (Vec::new(), 0);
    for worker in workers {
        let (latencies, failures) = worker.await.unwrap();
        all.extend(latencies);
        failed += failures;
    }
    all.sort();
    (all, failed)
}

/// Whether the answer is a 200, read to its end.
async fn succeeded(response: reqwest::Result<reqwest::Response>) -> bool {
    match response {
        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
        _ => false,
    }
}

fn report(what: &str, latencies: &[Duration], failed: usize, duration: Duration) {
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{what}: {:.0}/s over {} s ({} requests, {failed} failed), p50 {:.2} ms, p99 {:.2} ms",
        latencies.len() as f64 / duration.as_secs_f64(),
        duration.as_secs(),
        latencies.len(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
    );
}

/// The machine's ceiling for logins with RS256 id tokens: RSA-2048
/// signatures per second with every core signing and doing nothing else.
fn signature_ceiling() -> f64 {
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::RSA_PKCS1_SHA256;
    let key = Arc::new(KeyPair::generate(KeySize::Rsa2048).unwrap());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let duration = Duration::from_secs(3);
    let until = Instant::now() + duration;
    let signers: Vec<_> = (0..cores)
        .map(|_| {
            let key = key.clone();
            std::thread::spawn(move || {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let mut signature = vec![0; key.public_modulus_len()];
                let mut count = 0u64;
                while Instant::now() < until {
                    key.sign(&RSA_PKCS1_SHA256, &rng, &[b'x'; 400], &mut signature)
                        .unwrap();
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = signers.into_iter().map(|t| t.join().unwrap()).sum();
    total as f64 / duration.as_secs_f64()
}

fn main() {
    println!(
        "RS256 signatures with every core signing (the ceiling of logins/s): {:.0}/s",
        signature_ceiling()
    );
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let target = Arc::new(start(dir.path()).await);
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .unwrap();

        let login = {
            let (http, target) = (http.clone(), target.clone());
            move |i: usize| {
                let (http, target) = (http.clone(), target.clone());
                async move {
                    let username = format!("user{}@example.com", i % USERS);
                    let form = [
                        ("grant_type", "password"),
                        ("username", username.as_str()),
                        ("password", "x"),
                        ("client_id", target.client_id.as_str()),
                        ("client_secret", target.client_secret.as_str()),
                    ];
                    let response = http
                        .post(format!("{}/oauth/token", target.base))
                        .form(&form)
                        .send()
                        .await;
                    succeeded(response).await
                }
            }
        };
        // Warm-up: every user logs in once (later logins refresh the cache),
        // the tenant's signing key is made.
        load(CONCURRENCY, Duration::from_secs(1), login.clone()).await;
        for i in 0..USERS {
            login(i).await;
        }
        for concurrency in std::iter::once(CONCURRENCY).chain(LIGHTER_CONCURRENCIES) {
            let (latencies, failed) = load(concurrency, DURATION, login.clone()).await;
            let what = format!("logins through /oauth/token, {concurrency} in flight");
            report(&what, &latencies, failed, DURATION);
        }

        let patch = {
            let (http, target) = (http.clone(), target.clone());
            move |i: usize| {
                let (http, target) = (http.clone(), target.clone());
                async move {
                    let user = format!("auth0%7Cecho%7Cuser{}@example.com", i % USERS);
                    let body = json!({"user_metadata": {"n": i}});
                    let response = http
                        .patch(format!("{}/api/v2/users/{user}", target.base))
                        .bearer_auth(&target.key)
                        .json(&body)
                        .send()
                        .await;
                    succeeded(response).await
                }
            }
        };
        load(CONCURRENCY, Duration::from_secs(1), patch.clone()).await;
        let (latencies, failed) = load(CONCURRENCY, DURATION, patch).await;
        report(
            &format!("metadata PATCHes, {CONCURRENCY} in flight"),
            &latencies,
            failed,
            DURATION,
        );
    });
}
