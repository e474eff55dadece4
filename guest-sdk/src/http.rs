//! Outbound HTTP, over the standard `wasi:http/outgoing-handler` interface.
//!
//! A request goes out only to an origin in the connection's `allowed_hosts`
//! (`authbox run --allow-host HOST`; the connection option in the
//! Management API), HTTPS unless an entry says `http://`; the host resolves
//! the name, refuses private and loopback addresses, and bounds every
//! request (20 per call, 1 MiB each way, the call's deadline). Each refusal
//! is an [`HttpError`] naming it. Credentials belong in headers read from
//! the configuration, never in the URL.
//!
//! ```no_run
//! use authbox_guest::{config, http, Error, Profile, Result};
//!
//! # fn f(email: &str, password: &str) -> Result<Profile> {
//! let api = config::require("api_url")?;
//! let response = http::Request::post(&format!("{api}/login"))
//!     .bearer_auth(&config::require("api_token")?)
//!     .json(&authbox_guest::json!({"email": email, "password": password}))
//!     .send()?;
//! match response.status() {
//!     200 => {
//!         let user: authbox_guest::Value = response.json()?;
//!         Ok(Profile::new(format!("api|{}", user["id"])).email(email))
//!     }
//!     401 => Err(Error::wrong_credentials()),
//!     status => Err(Error::failed(format!("POST /login answered {status}"))),
//! }
//! # }
//! ```

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{self as wasi, ErrorCode, Fields, OutgoingBody, OutgoingRequest};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

/// A request's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
}

impl std::str::FromStr for Method {
    type Err = HttpError;

    /// A method by its name, in any case (`"get"`, `"POST"`).
    ///
    /// ```
    /// use authbox_guest::http::Method;
    /// assert_eq!("post".parse::<Method>().unwrap(), Method::Post);
    /// assert!("BREW".parse::<Method>().is_err());
    /// ```
    fn from_str(name: &str) -> Result<Self, HttpError> {
        Ok(match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => {
                return Err(HttpError::InvalidRequest(format!(
                    "unsupported method {name:?} (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)"
                )));
            }
        })
    }
}

impl Method {
    fn wasi(self) -> wasi::Method {
        match self {
            Method::Get => wasi::Method::Get,
            Method::Head => wasi::Method::Head,
            Method::Post => wasi::Method::Post,
            Method::Put => wasi::Method::Put,
            Method::Patch => wasi::Method::Patch,
            Method::Delete => wasi::Method::Delete,
            Method::Options => wasi::Method::Options,
        }
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// `HTTP-request-denied`: the origin is not in the connection's
    /// `allowed_hosts` (or it has none: no network).
    Denied,
    /// `destination-IP-prohibited`: the host resolves to (or is) a
    /// loopback, private, link-local or metadata address.
    AddressProhibited,
    /// `connection-limit-reached`: more requests in one call than allowed.
    TooManyRequests,
    /// `HTTP-response-body-size`: the response is larger than a call may
    /// receive.
    ResponseTooLarge {
        /// The limit, when the host said it.
        limit: Option<u64>,
    },
    /// `HTTP-request-body-size`: the request body is larger than a call
    /// may send.
    RequestTooLarge {
        /// The limit, when the host said it.
        limit: Option<u64>,
    },
    /// No connection or no response in time (`connection-timeout`,
    /// `HTTP-response-timeout`, ...).
    Timeout {
        /// The `wasi:http` error code.
        code: &'static str,
    },
    /// The name does not resolve (`DNS-error`, `destination-not-found`...).
    Dns {
        /// The `wasi:http` error code.
        code: &'static str,
    },
    /// The connection failed (`connection-refused`,
    /// `connection-terminated`...).
    Connection {
        /// The `wasi:http` error code.
        code: &'static str,
    },
    /// TLS failed (`TLS-protocol-error`, `TLS-certificate-error`...).
    Tls {
        /// The `wasi:http` error code.
        code: &'static str,
    },
    /// Any other `wasi:http` error.
    Protocol {
        /// The `wasi:http` error code.
        code: &'static str,
    },
    /// The request could not be built (a bad URL, header or method).
    InvalidRequest(String),
    /// The body is not what was asked for (UTF-8 text, JSON).
    InvalidBody(String),
}

impl HttpError {
    /// The `wasi:http` error code's name (`HTTP-request-denied`...), or
    /// `invalid-request` / `invalid-body` for what the script did itself.
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::Denied => "HTTP-request-denied",
            HttpError::AddressProhibited => "destination-IP-prohibited",
            HttpError::TooManyRequests => "connection-limit-reached",
            HttpError::ResponseTooLarge { .. } => "HTTP-response-body-size",
            HttpError::RequestTooLarge { .. } => "HTTP-request-body-size",
            HttpError::Timeout { code }
            | HttpError::Dns { code }
            | HttpError::Connection { code }
            | HttpError::Tls { code }
            | HttpError::Protocol { code } => code,
            HttpError::InvalidRequest(_) => "invalid-request",
            HttpError::InvalidBody(_) => "invalid-body",
        }
    }

    fn from_wasi(error: &ErrorCode) -> Self {
        let code = code_name(error);
        match error {
            ErrorCode::HttpRequestDenied => HttpError::Denied,
            ErrorCode::DestinationIpProhibited => HttpError::AddressProhibited,
            ErrorCode::ConnectionLimitReached => HttpError::TooManyRequests,
            ErrorCode::HttpResponseBodySize(limit) => HttpError::ResponseTooLarge { limit: *limit },
            ErrorCode::HttpRequestBodySize(limit) => HttpError::RequestTooLarge { limit: *limit },
            ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout
            | ErrorCode::DnsTimeout => HttpError::Timeout { code },
            ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => HttpError::Dns { code },
            ErrorCode::ConnectionRefused
            | ErrorCode::ConnectionTerminated
            | ErrorCode::DestinationUnavailable
            | ErrorCode::DestinationIpUnroutable => HttpError::Connection { code },
            ErrorCode::TlsProtocolError
            | ErrorCode::TlsCertificateError
            | ErrorCode::TlsAlertReceived(_) => HttpError::Tls { code },
            _ => HttpError::Protocol { code },
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            HttpError::Denied => write!(
                f,
                "{code}: the host refused the request: add its origin to the connection's allowed_hosts"
            ),
            HttpError::AddressProhibited => write!(
                f,
                "{code}: the host resolves to a private, loopback or metadata address, which this deployment does not allow (its operator may, with --allow-private-networks)"
            ),
            HttpError::TooManyRequests => write!(
                f,
                "{code}: more HTTP requests in one call than allowed: make fewer (the call's log says the limit)"
            ),
            HttpError::ResponseTooLarge { limit } | HttpError::RequestTooLarge { limit } => {
                match limit {
                    Some(limit) => write!(f, "{code}: the body is over {limit} bytes"),
                    None => write!(f, "{code}: the body is too large"),
                }
            }
            HttpError::Timeout { .. } => write!(f, "{code}: no answer in time"),
            HttpError::Dns { .. } => write!(f, "{code}: the host name does not resolve"),
            HttpError::Connection { .. } => write!(f, "{code}: the connection failed"),
            HttpError::Tls { .. } => write!(f, "{code}: TLS failed"),
            HttpError::Protocol { .. } => write!(f, "{code}: the request failed"),
            HttpError::InvalidRequest(why) | HttpError::InvalidBody(why) => {
                write!(f, "{code}: {why}")
            }
        }
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for crate::Error {
    fn from(error: HttpError) -> Self {
        crate::Error::failed(error.to_string())
    }
}

/// The name `wasi:http` gives an error code.
fn code_name(error: &ErrorCode) -> &'static str {
    match error {
        ErrorCode::DnsTimeout => "DNS-timeout",
        ErrorCode::DnsError(_) => "DNS-error",
        ErrorCode::DestinationNotFound => "destination-not-found",
        ErrorCode::DestinationUnavailable => "destination-unavailable",
        ErrorCode::DestinationIpProhibited => "destination-IP-prohibited",
        ErrorCode::DestinationIpUnroutable => "destination-IP-unroutable",
        ErrorCode::ConnectionRefused => "connection-refused",
        ErrorCode::ConnectionTerminated => "connection-terminated",
        ErrorCode::ConnectionTimeout => "connection-timeout",
        ErrorCode::ConnectionReadTimeout => "connection-read-timeout",
        ErrorCode::ConnectionWriteTimeout => "connection-write-timeout",
        ErrorCode::ConnectionLimitReached => "connection-limit-reached",
        ErrorCode::TlsProtocolError => "TLS-protocol-error",
        ErrorCode::TlsCertificateError => "TLS-certificate-error",
        ErrorCode::TlsAlertReceived(_) => "TLS-alert-received",
        ErrorCode::HttpRequestDenied => "HTTP-request-denied",
        ErrorCode::HttpRequestLengthRequired => "HTTP-request-length-required",
        ErrorCode::HttpRequestBodySize(_) => "HTTP-request-body-size",
        ErrorCode::HttpRequestMethodInvalid => "HTTP-request-method-invalid",
        ErrorCode::HttpRequestUriInvalid => "HTTP-request-URI-invalid",
        ErrorCode::HttpRequestUriTooLong => "HTTP-request-URI-too-long",
        ErrorCode::HttpRequestHeaderSectionSize(_) => "HTTP-request-header-section-size",
        ErrorCode::HttpRequestHeaderSize(_) => "HTTP-request-header-size",
        ErrorCode::HttpRequestTrailerSectionSize(_) => "HTTP-request-trailer-section-size",
        ErrorCode::HttpRequestTrailerSize(_) => "HTTP-request-trailer-size",
        ErrorCode::HttpResponseIncomplete => "HTTP-response-incomplete",
        ErrorCode::HttpResponseHeaderSectionSize(_) => "HTTP-response-header-section-size",
        ErrorCode::HttpResponseHeaderSize(_) => "HTTP-response-header-size",
        ErrorCode::HttpResponseBodySize(_) => "HTTP-response-body-size",
        ErrorCode::HttpResponseTrailerSectionSize(_) => "HTTP-response-trailer-section-size",
        ErrorCode::HttpResponseTrailerSize(_) => "HTTP-response-trailer-size",
        ErrorCode::HttpResponseTransferCoding(_) => "HTTP-response-transfer-coding",
        ErrorCode::HttpResponseContentCoding(_) => "HTTP-response-content-coding",
        ErrorCode::HttpResponseTimeout => "HTTP-response-timeout",
        ErrorCode::HttpUpgradeFailed => "HTTP-upgrade-failed",
        ErrorCode::HttpProtocolError => "HTTP-protocol-error",
        ErrorCode::LoopDetected => "loop-detected",
        ErrorCode::ConfigurationError => "configuration-error",
        ErrorCode::InternalError(_) => "internal-error",
    }
}

/// A request to build and [`send`](Request::send).
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Result<Vec<u8>, String>,
}

impl Request {
    /// A request of `method` to `url` (`https://host[:port]/path?query`,
    /// or `http://` where the connection allows it).
    pub fn new(method: Method, url: &str) -> Self {
        Request {
            method,
            url: url.to_owned(),
            headers: Vec::new(),
            body: Ok(Vec::new()),
        }
    }

    /// A `GET`.
    pub fn get(url: &str) -> Self {
        Request::new(Method::Get, url)
    }

    /// A `POST`.
    pub fn post(url: &str) -> Self {
        Request::new(Method::Post, url)
    }

    /// A `PUT`.
    pub fn put(url: &str) -> Self {
        Request::new(Method::Put, url)
    }

    /// A `PATCH`.
    pub fn patch(url: &str) -> Self {
        Request::new(Method::Patch, url)
    }

    /// A `DELETE`.
    pub fn delete(url: &str) -> Self {
        Request::new(Method::Delete, url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sends `value` as JSON (`content-type: application/json`).
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).map_err(|e| format!("cannot encode the JSON: {e}"));
        Request {
            body,
            ..self.header("content-type", "application/json")
        }
    }

    /// Sends these bytes as the body.
    pub fn body(self, bytes: impl Into<Vec<u8>>) -> Self {
        Request {
            body: Ok(bytes.into()),
            ..self
        }
    }

    /// Sends the request and reads the whole response.
    pub fn send(self) -> Result<Response, HttpError> {
        let body = self.body.map_err(HttpError::InvalidBody)?;
        let url = Url::parse(&self.url)?;
        let mut headers = self.headers;
        if !body.is_empty() {
            headers.push(("content-length".into(), body.len().to_string().into_bytes()));
        }
        let fields = Fields::from_list(&headers).map_err(|e| {
            let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
            HttpError::InvalidRequest(format!(
                "a header of {names:?} was refused ({e:?}: a forbidden or malformed name or value)"
            ))
        })?;
        let request = OutgoingRequest::new(fields);
        let invalid = |what: &str| HttpError::InvalidRequest(format!("invalid {what}"));
        request
            .set_method(&self.method.wasi())
            .map_err(|()| invalid("method"))?;
        request
            .set_scheme(Some(&url.scheme))
            .map_err(|()| invalid("scheme"))?;
        request
            .set_authority(Some(&url.authority))
            .map_err(|()| invalid("host"))?;
        request
            .set_path_with_query(Some(&url.path_with_query))
            .map_err(|()| invalid("path"))?;
        let outgoing = request.body().map_err(|()| invalid("body"))?;
        let pending =
            outgoing_handler::handle(request, None).map_err(|e| HttpError::from_wasi(&e))?;
        let written = write_body(&outgoing, &body).and_then(|()| {
            OutgoingBody::finish(outgoing, None).map_err(|e| HttpError::from_wasi(&e))
        });
        pending.subscribe().block();
        // A refused request also fails its body: the response says why.
        let incoming = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(e))) => return Err(HttpError::from_wasi(&e)),
            Some(Err(())) | None => {
                return Err(HttpError::Protocol {
                    code: "internal-error",
                });
            }
        };
        written?;
        let status = incoming.status();
        let headers = incoming.headers().entries();
        let body = incoming.consume().map_err(|()| invalid("response body"))?;
        let bytes = {
            let stream = body.stream().map_err(|()| invalid("response body"))?;
            read_all(&stream)?
        };
        drop(body);
        Ok(Response {
            status,
            headers,
            body: bytes,
        })
    }
}

/// Writes `bytes` to the request's body, as fast as the host takes them.
/// A stream the host closed is no error here: the host has what it needs
/// (a body of its declared length is sent as soon as it is complete), or
/// the request failed and its response says why.
fn write_body(body: &OutgoingBody, bytes: &[u8]) -> Result<(), HttpError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let stream: OutputStream = body
        .write()
        .map_err(|()| HttpError::InvalidRequest("the body was already written".into()))?;
    let written = (|| {
        let mut rest = bytes;
        while !rest.is_empty() {
            let ready = stream.check_write()?;
            if ready == 0 {
                stream.subscribe().block();
                continue;
            }
            let n = rest.len().min(ready as usize);
            stream.write(&rest[..n])?;
            rest = &rest[n..];
        }
        stream.blocking_flush()
    })();
    match written {
        Ok(()) | Err(StreamError::Closed) => Ok(()),
        Err(e) => Err(stream_error(e)),
    }
}

/// Reads a body to its end.
fn read_all(stream: &InputStream) -> Result<Vec<u8>, HttpError> {
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 << 10) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Ok(bytes),
            Err(e) => return Err(stream_error(e)),
        }
    }
}

/// The `wasi:http` error behind a stream's failure.
fn stream_error(error: StreamError) -> HttpError {
    match error {
        StreamError::LastOperationFailed(e) => match wasi::http_error_code(&e) {
            Some(code) => HttpError::from_wasi(&code),
            None => HttpError::Protocol {
                code: "HTTP-protocol-error",
            },
        },
        StreamError::Closed => HttpError::Connection {
            code: "connection-terminated",
        },
    }
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, HttpError> {
    Request::get(url).send()
}

/// `POST url` with `value` as JSON.
pub fn post_json<T: Serialize + ?Sized>(url: &str, value: &T) -> Result<Response, HttpError> {
    Request::post(url).json(value).send()
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name` (any case), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }

    /// Every header, as sent.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, HttpError> {
        std::str::from_utf8(&self.body)
            .map_err(|e| HttpError::InvalidBody(format!("the body is not UTF-8: {e}")))
    }

    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| HttpError::InvalidBody(format!("the body is not the JSON expected: {e}")))
    }
}

/// The parts of a URL a request needs.
struct Url {
    scheme: wasi::Scheme,
    authority: String,
    path_with_query: String,
}

impl Url {
    fn parse(url: &str) -> Result<Url, HttpError> {
        let invalid = |why: &str| HttpError::InvalidRequest(format!("invalid URL: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid("it must start with https:// or http://"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => wasi::Scheme::Https,
            "http" => wasi::Scheme::Http,
            _ => return Err(invalid("only https:// and http:// are supported")),
        };
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.is_empty() {
            return Err(invalid("it has no host"));
        }
        if authority.contains('@') {
            return Err(invalid(
                "it holds credentials (user:password@): send them in a header read from the configuration",
            ));
        }
        let path = path.split('#').next().unwrap_or_default();
        let path_with_query = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        Ok(Url {
            scheme,
            authority: authority.to_owned(),
            path_with_query,
        })
    }
}
