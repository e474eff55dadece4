//! The capability without a guest: the allow-list, the address policy, and
//! the hooks' decisions on requests to servers on loopback.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::*;
use crate::capabilities::log::{CallLog, LogLine};
use crate::share::Owner;

fn hosts(entries: &[&str]) -> AllowedHosts {
    AllowedHosts::parse(entries).unwrap()
}

#[test]
fn entries_match_scheme_host_and_port() {
    let list = hosts(&[
        "api.example.com",
        "*.users.example.org",
        "http://legacy.internal:8080",
        "[2001:db8::1]:8443",
    ]);
    let https = HttpScheme::Https;
    assert!(list.allows(https, "api.example.com", 443));
    assert!(!list.allows(https, "api.example.com", 8443), "port");
    assert!(
        !list.allows(HttpScheme::Http, "api.example.com", 80),
        "http only when asked for"
    );
    assert!(!list.allows(https, "evil.api.example.com", 443));
    assert!(list.allows(https, "eu.users.example.org", 443));
    assert!(list.allows(https, "a.b.users.example.org", 443));
    assert!(
        !list.allows(https, "users.example.org", 443),
        "*. is below the domain"
    );
    assert!(!list.allows(https, "evilusers.example.org", 443));
    assert!(list.allows(HttpScheme::Http, "legacy.internal", 8080));
    assert!(!list.allows(https, "legacy.internal", 8080));
    assert!(list.allows(https, "2001:db8::1", 8443));
    assert!(AllowedHosts::default().is_empty());
}

#[test]
fn bad_entries_are_refused_with_what_to_write() {
    for entry in [
        "",
        "*",
        "*.",
        "ftp://example.com",
        "example.com/path",
        "user:pw@example.com",
        "example.com:http",
        "example.com:0",
        "exa mple.com",
        "[not-v6]",
    ] {
        let error = AllowedHosts::parse(&[entry]).unwrap_err();
        assert!(
            error.to_string().contains("use HOST, *.DOMAIN"),
            "{entry}: {error}"
        );
    }
    assert_eq!(
        AllowedHost::parse("HTTPS://API.Example.com/")
            .unwrap()
            .to_string(),
        "https://api.example.com:443"
    );
}

#[test]
fn private_loopback_and_metadata_addresses_are_refused() {
    let policy = AddressPolicy::default();
    for (address, range) in [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.20.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT (CGNAT)"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local (cloud metadata)"),
        ("0.0.0.0", "this-network"),
        ("224.0.0.1", "multicast"),
        ("::1", "loopback"),
        ("::", "unspecified or IPv4-compatible"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::a00:1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("fd00:ec2::254", "cloud metadata"),
        ("fc00::1", "unique-local (private)"),
        ("fe80::1", "link-local"),
    ] {
        let ip: IpAddr = address.parse().unwrap();
        assert_eq!(
            policy.check(ip),
            Err(Prohibited { address: ip, range }),
            "{address}"
        );
    }
    for public in [
        "93.184.215.14",
        "1.1.1.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
    ] {
        assert_eq!(policy.check(public.parse().unwrap()), Ok(()), "{public}");
    }
}

#[test]
fn the_operator_allows_ranges() {
    let policy = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
    assert_eq!(policy.check("127.0.0.1".parse().unwrap()), Ok(()));
    assert_eq!(policy.check("::ffff:127.0.0.1".parse().unwrap()), Ok(()));
    assert!(policy.check("10.0.0.1".parse().unwrap()).is_err());
    assert!(policy.check("::1".parse().unwrap()).is_err());
}

/// A server on loopback that answers each request (headers only, no
/// body) with `response` after `delay`, keeping connections open; and the
/// count of connections it accepted.
async fn serve(response: &'static [u8], delay: Duration) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    request.clear();
                    tokio::time::sleep(delay).await;
                    if socket.write_all(response).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello";

struct Harness {
    hooks: OutboundHooks,
    log: CallLog,
}

fn harness(allowed: &[&str], config: HttpConfig, call_time: Duration) -> Harness {
    harness_with(&HttpSettings::new(hosts(allowed)), config, call_time)
}

/// One call's hooks for a connection with `settings`.
fn harness_with(settings: &HttpSettings, config: HttpConfig, call_time: Duration) -> Harness {
    let log = CallLog::new(64 << 10);
    let shared = HttpCapability::shared(&config);
    let owner = Owner::new("tenant", "connection");
    let scope = CallScope {
        owner: &owner,
        deadline: Instant::now() + call_time,
        log: &log,
    };
    let capability = HttpCapability::for_call(settings, &shared, &scope);
    Harness {
        hooks: capability.hooks,
        log,
    }
}

fn loopback_config() -> HttpConfig {
    HttpConfig {
        allowed_private_networks: vec!["127.0.0.0/8".parse().unwrap()],
        ..HttpConfig::default()
    }
}

fn get(url: &str) -> http::Request<WasiBody> {
    http::Request::get(url)
        .body(Empty::<Bytes>::new().map_err(|e| match e {}).boxed_unsync())
        .unwrap()
}

async fn send(
    harness: &mut Harness,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<(u16, Result<Bytes, Error>), Error> {
    let sent = harness
        .hooks
        .send_request(request, options, Box::new(async { Ok(()) }));
    let (response, _io) = Pin::from(sent).await?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes());
    Ok((status, body))
}

fn logged(log: &CallLog) -> String {
    log.finish()
        .iter()
        .map(|line: &LogLine| line.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn an_allowed_origin_is_reached_and_its_connection_reused() {
    let (addr, accepted) = serve(OK, Duration::ZERO).await;
    let entry = format!("http://127.0.0.1:{}", addr.port());
    let settings = HttpSettings::new(hosts(&[&entry]));
    for _ in 0..3 {
        let mut h = harness_with(&settings, loopback_config(), Duration::from_secs(10));
        let (status, body) = send(&mut h, get(&format!("{entry}/x?token=s3cret")), None)
            .await
            .unwrap();
        assert_eq!(status, 200);
        assert_eq!(body.unwrap(), "hello");
        assert_eq!(logged(&h.log), "", "a successful request logs nothing");
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "three calls of one connection share one pooled connection"
    );
}

#[tokio::test]
async fn no_allowed_hosts_means_no_network() {
    let (addr, _) = serve(OK, Duration::ZERO).await;
    let mut h = harness(&[], loopback_config(), Duration::from_secs(10));
    let url = format!("http://127.0.0.1:{}/", addr.port());
    let error = send(&mut h, get(&url), None).await.unwrap_err();
    assert!(matches!(error, Error::HttpRequestDenied), "{error}");
    assert!(logged(&h.log).contains("has no allowed_hosts"));
}

#[tokio::test]
async fn an_origin_off_the_list_is_denied_and_named_in_the_log() {
    let mut h = harness(
        &["api.example.com"],
        loopback_config(),
        Duration::from_secs(10),
    );
    for url in [
        "https://evil.example.com/steal",
        "http://api.example.com/",
        "https://api.example.com:8443/",
    ] {
        let error = send(&mut h, get(url), None).await.unwrap_err();
        assert!(matches!(error, Error::HttpRequestDenied), "{url}: {error}");
    }
    let log = logged(&h.log);
    assert!(
        log.contains(
            "request to https://evil.example.com:443 refused: not in the connection's allowed_hosts"
        ),
        "{log}"
    );
    assert!(!log.contains("steal"), "paths stay out of the log: {log}");
}

#[tokio::test]
async fn loopback_is_refused_by_default_even_when_listed() {
    let (addr, _) = serve(OK, Duration::ZERO).await;
    let port = addr.port();
    let entries = [
        format!("http://127.0.0.1:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://localhost:{port}"),
        "http://169.254.169.254".to_owned(),
        "http://10.0.0.1".to_owned(),
    ];
    let listed: Vec<&str> = entries.iter().map(String::as_str).collect();
    let mut h = harness(&listed, HttpConfig::default(), Duration::from_secs(10));
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://localhost:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let error = send(&mut h, get(&url), None).await.unwrap_err();
        assert!(
            matches!(error, Error::DestinationIpProhibited),
            "{url}: {error}"
        );
    }
    let log = logged(&h.log);
    assert!(
        log.contains("http://localhost:") && log.contains("resolves to a loopback address"),
        "{log}"
    );
    assert!(log.contains("cloud metadata"), "{log}");
}

#[tokio::test]
async fn requests_per_call_are_counted() {
    let (addr, _) = serve(OK, Duration::ZERO).await;
    let entry = format!("http://127.0.0.1:{}", addr.port());
    let config = HttpConfig {
        max_requests_per_call: 2,
        ..loopback_config()
    };
    let mut h = harness(&[&entry], config, Duration::from_secs(10));
    for _ in 0..2 {
        let (status, body) = send(&mut h, get(&entry), None).await.unwrap();
        assert_eq!((status, body.unwrap()), (200, Bytes::from_static(b"hello")));
    }
    let error = send(&mut h, get(&entry), None).await.unwrap_err();
    assert!(matches!(error, Error::ConnectionLimitReached), "{error}");
    assert!(logged(&h.log).contains("more than 2 requests in one call"));
}

#[tokio::test]
async fn oversized_bodies_are_cut_with_a_named_error() {
    const DECLARED: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n";
    const CHUNKED: &[u8] =
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n40\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n40\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n0\r\n\r\n";
    let config = HttpConfig {
        max_response_bytes: 80,
        max_request_body_bytes: 10,
        ..loopback_config()
    };
    let (declared, _) = serve(DECLARED, Duration::ZERO).await;
    let (chunked, _) = serve(CHUNKED, Duration::ZERO).await;
    let declared_url = format!("http://127.0.0.1:{}", declared.port());
    let chunked_url = format!("http://127.0.0.1:{}", chunked.port());
    let mut h = harness(
        &[&declared_url, &chunked_url],
        config,
        Duration::from_secs(10),
    );
    let error = send(&mut h, get(&declared_url), None).await.unwrap_err();
    assert!(
        matches!(error, Error::HttpResponseBodySize(Some(80))),
        "{error}"
    );
    let (status, body) = send(&mut h, get(&chunked_url), None).await.unwrap();
    assert_eq!(status, 200);
    assert!(
        matches!(body, Err(Error::HttpResponseBodySize(Some(80)))),
        "{body:?}"
    );
    let post = http::Request::post(&chunked_url)
        .body(
            Full::new(Bytes::from_static(b"far more than ten bytes"))
                .map_err(|e| match e {})
                .boxed_unsync(),
        )
        .unwrap();
    let error = send(&mut h, post, None).await.unwrap_err();
    assert!(
        matches!(error, Error::HttpRequestBodySize(Some(10))),
        "{error}"
    );
}

#[tokio::test]
async fn a_slow_server_is_given_up_on() {
    let (addr, _) = serve(OK, Duration::from_secs(5)).await;
    let entry = format!("http://127.0.0.1:{}", addr.port());
    let mut h = harness(&[&entry], loopback_config(), Duration::from_millis(300));
    let started = Instant::now();
    let error = send(&mut h, get(&entry), None).await.unwrap_err();
    assert!(matches!(error, Error::HttpResponseTimeout), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let options = RequestOptions {
        first_byte_timeout: Some(Duration::from_millis(50)),
        ..RequestOptions::default()
    };
    let mut h = harness(&[&entry], loopback_config(), Duration::from_secs(10));
    let error = send(&mut h, get(&entry), Some(options)).await.unwrap_err();
    assert!(matches!(error, Error::HttpResponseTimeout), "{error}");
    assert!(logged(&h.log).contains("no response within 50 ms"));
}

#[tokio::test]
async fn urls_with_credentials_are_refused_without_showing_them() {
    let mut h = harness(
        &["api.example.com"],
        loopback_config(),
        Duration::from_secs(10),
    );
    let error = send(&mut h, get("https://admin:hunter2@api.example.com/"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::HttpRequestUriInvalid), "{error}");
    let log = logged(&h.log);
    assert!(log.contains("user-info"), "{log}");
    assert!(!log.contains("hunter2"), "{log}");
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let entry = format!("http://127.0.0.1:{port}");
    let mut h = harness(&[&entry], loopback_config(), Duration::from_secs(10));
    let error = send(&mut h, get(&entry), None).await.unwrap_err();
    assert!(matches!(error, Error::ConnectionRefused), "{error}");
}

#[tokio::test]
async fn https_goes_through_tls_and_a_server_without_it_is_a_tls_error() {
    // A server that answers plain HTTP to whatever it is sent first (a TLS
    // ClientHello), and keeps the connection open a while.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 512];
                let _ = socket.read(&mut hello).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            });
        }
    });
    let entry = format!("127.0.0.1:{port}");
    let mut h = harness(&[&entry], loopback_config(), Duration::from_secs(10));
    let error = send(&mut h, get(&format!("https://{entry}/")), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::TlsProtocolError), "{error}");
    assert!(logged(&h.log).contains("TLS"), "{}", logged(&h.log));
}
