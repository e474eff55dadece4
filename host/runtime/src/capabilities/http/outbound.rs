//! The decision on each request a script sends, and the sending: the
//! allow-list, the address policy for IP literals, the per-call count, the
//! size and time bounds, and a named error for each refusal. The call's log
//! says which origin was refused and why; it never shows a path, a query,
//! user-info or a header, where credentials live.

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::SharedHttp;
use super::allowed_hosts::{AllowedHosts, HttpScheme};
use super::client::{ClientError, HttpClient, ResolveError};
use super::limited_body::LimitedBody;
use crate::capabilities::log::{CallLog, LogLevel};

type Sent = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

/// Where a request goes, as the log may show it.
struct Origin {
    scheme: HttpScheme,
    host: String,
    port: u16,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.scheme.name(), self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.scheme.name(), self.host, self.port)
        }
    }
}

/// The `wasi:http` hooks of one call.
pub(super) struct OutboundHooks {
    pub(super) allowed: Arc<AllowedHosts>,
    pub(super) pool: Arc<OnceLock<HttpClient>>,
    pub(super) shared: SharedHttp,
    pub(super) deadline: Instant,
    pub(super) log: CallLog,
    pub(super) sent: u32,
}

impl OutboundHooks {
    fn refuse(&self, origin: Option<&Origin>, why: &str, error: Error) -> Sent {
        let message = match origin {
            Some(origin) => format!("http: request to {origin} refused: {why}"),
            None => format!("http: request refused: {why}"),
        };
        self.log.push(LogLevel::Warn, &message);
        Box::new(async move { Err(error) })
    }

    /// Where the request goes, if its URI says it plainly.
    fn origin(uri: &http::Uri) -> Result<Origin, &'static str> {
        let scheme = match uri.scheme_str() {
            Some("https") => HttpScheme::Https,
            Some("http") => HttpScheme::Http,
            _ => return Err("only https and http are supported"),
        };
        let authority = uri.authority().ok_or("the URL has no host")?;
        if authority.as_str().contains('@') {
            return Err(
                "the URL holds user-info (credentials): send them in a header read from the configuration",
            );
        }
        let host = authority.host().to_ascii_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host);
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| "the IPv6 address does not parse")?
                .to_string(),
            None => host.to_owned(),
        };
        Ok(Origin {
            scheme,
            port: authority.port_u16().unwrap_or(scheme.default_port()),
            host,
        })
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Sent {
        let config = Arc::clone(&self.shared.config);
        self.sent += 1;
        if self.sent > config.max_requests_per_call {
            let why = format!(
                "more than {} requests in one call",
                config.max_requests_per_call
            );
            return self.refuse(None, &why, Error::ConnectionLimitReached);
        }
        let origin = match Self::origin(request.uri()) {
            Ok(origin) => origin,
            Err(why) => return self.refuse(None, why, Error::HttpRequestUriInvalid),
        };
        if self.allowed.is_empty() {
            let why = "the connection has no allowed_hosts, so its scripts have no network";
            return self.refuse(Some(&origin), why, Error::HttpRequestDenied);
        }
        if !self
            .allowed
            .allows(origin.scheme, &origin.host, origin.port)
        {
            let why = "not in the connection's allowed_hosts";
            return self.refuse(Some(&origin), why, Error::HttpRequestDenied);
        }
        if let Ok(address) = origin.host.parse::<IpAddr>()
            && let Err(prohibited) = self.shared.policy.check(address)
        {
            let why = format!(
                "{}; the operator may allow it with --allow-private-networks",
                prohibited
            );
            return self.refuse(Some(&origin), &why, Error::DestinationIpProhibited);
        }
        let declared = content_length(request.headers());
        if declared.is_some_and(|n| n > config.max_request_body_bytes) {
            let why = format!("its body is over {} bytes", config.max_request_body_bytes);
            let error = Error::HttpRequestBodySize(Some(config.max_request_body_bytes));
            return self.refuse(Some(&origin), &why, error);
        }

        let client = self
            .pool
            .get_or_init(|| HttpClient::new(&config, Arc::clone(&self.shared.policy)))
            .clone();
        let now = Instant::now();
        let mut wait = config.first_byte_timeout;
        if let Some(options) = options {
            let asked = options.connect_timeout.unwrap_or(Duration::ZERO)
                + options.first_byte_timeout.unwrap_or(Duration::ZERO);
            if !asked.is_zero() {
                wait = wait.min(asked);
            }
        }
        let headers_by = (now + wait).min(self.deadline);
        let log = self.log.clone();
        let request = request.map(|body| {
            LimitedBody::new(
                body,
                config.max_request_body_bytes,
                Error::HttpRequestBodySize,
            )
            .boxed_unsync()
        });
        let max_response = config.max_response_bytes;
        Box::new(async move {
            let response =
                match tokio::time::timeout_at(headers_by.into(), client.request(request)).await {
                    Ok(Ok(response)) => response,
                    Ok(Err(error)) => {
                        let (error, why) = classify(&error);
                        log.push(
                            LogLevel::Warn,
                            &format!("http: request to {origin} failed: {why}"),
                        );
                        return Err(error);
                    }
                    Err(_) => {
                        log.push(
                            LogLevel::Warn,
                            &format!(
                                "http: request to {origin} failed: no response within {} ms",
                                wait.min(headers_by.saturating_duration_since(now))
                                    .as_millis()
                            ),
                        );
                        return Err(Error::HttpResponseTimeout);
                    }
                };
            if content_length(response.headers()).is_some_and(|n| n > max_response) {
                log.push(
                    LogLevel::Warn,
                    &format!(
                        "http: response from {origin} refused: its body is over {max_response} bytes"
                    ),
                );
                return Err(Error::HttpResponseBodySize(Some(max_response)));
            }
            let response = response.map(|body| {
                LimitedBody::new(
                    body.map_err(Error::Hyper).boxed_unsync(),
                    max_response,
                    Error::HttpResponseBodySize,
                )
                .boxed_unsync()
            });
            let done: Box<dyn Future<Output = Result<(), Error>> + Send> =
                Box::new(async { Ok(()) });
            Ok((response, done))
        })
    }
}

/// The `Content-Length` a message declares, when it declares one number.
fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The `wasi:http` error for a failed request, and what the log says of it.
fn classify(error: &ClientError) -> (Error, String) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(resolve) = e.downcast_ref::<ResolveError>() {
            return match resolve {
                ResolveError::Prohibited(p) => (
                    Error::DestinationIpProhibited,
                    format!(
                        "the name resolves to a {} address; the operator may allow it with --allow-private-networks",
                        p.range
                    ),
                ),
                ResolveError::Lookup(_) => (
                    Error::DnsError {
                        rcode: None,
                        info_code: None,
                    },
                    "the name does not resolve".to_owned(),
                ),
            };
        }
        if let Some(Error::HttpRequestBodySize(limit)) = e.downcast_ref::<Error>() {
            return (
                Error::HttpRequestBodySize(*limit),
                format!("its body is over {} bytes", limit.unwrap_or_default()),
            );
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            let error = match tls {
                rustls::Error::InvalidCertificate(_) => Error::TlsCertificateError,
                _ => Error::TlsProtocolError,
            };
            return (error, format!("TLS: {tls}"));
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::TimedOut => {
                    return (Error::ConnectionTimeout, "the connection timed out".into());
                }
                io::ErrorKind::ConnectionRefused => {
                    return (
                        Error::ConnectionRefused,
                        "the connection was refused".into(),
                    );
                }
                io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof => {
                    return (
                        Error::ConnectionTerminated,
                        "the server closed the connection".into(),
                    );
                }
                _ => {}
            }
            // An I/O error's `source` skips the error it wraps: look at that.
            if let Some(inner) = io.get_ref() {
                source = Some(inner);
                continue;
            }
        }
        if let Some(hyper) = e.downcast_ref::<hyper::Error>()
            && (hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled())
        {
            return (
                Error::ConnectionTerminated,
                "the server closed the connection".into(),
            );
        }
        source = e.source();
    }
    if error.is_connect() {
        (Error::ConnectionRefused, "could not connect".into())
    } else {
        (Error::HttpProtocolError, "HTTP protocol error".into())
    }
}
