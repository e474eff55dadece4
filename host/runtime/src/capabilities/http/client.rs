//! A connection's HTTP client: a pool of keep-alive connections shared by
//! the connection's calls (and by no other connection), whose resolver
//! hands the connector only the addresses the [`AddressPolicy`] accepts. The
//! connector connects to exactly those: there is no second lookup a DNS
//! rebinding could answer differently. It never follows redirects.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::TokioExecutor;
use wasmtime_wasi_http::WasiBody;

use super::HttpConfig;
use super::address_policy::{AddressPolicy, Prohibited};

/// The pooled client of one connection; cheap to clone.
#[derive(Clone)]
pub(super) struct HttpClient {
    client: Client<HttpsConnector<HttpConnector<CheckedResolver>>, WasiBody>,
}

impl HttpClient {
    pub(super) fn new(config: &HttpConfig, policy: Arc<AddressPolicy>) -> Self {
        let mut tcp = HttpConnector::new_with_resolver(CheckedResolver { policy });
        // `https` is handled by the TLS layer around it.
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(config.connect_timeout));
        tcp.set_nodelay(true);
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .build(connector);
        HttpClient { client }
    }

    /// Sends `request` on a pooled connection (or a new one).
    pub(super) fn request(&self, request: http::Request<WasiBody>) -> ResponseFuture {
        self.client.request(request)
    }
}

/// Why the client could not get a response.
pub(super) type ClientError = hyper_util::client::legacy::Error;

/// Why a name gave no address to connect to.
#[derive(Debug, thiserror::Error)]
pub(super) enum ResolveError {
    /// The lookup failed.
    #[error("DNS lookup failed: {0}")]
    Lookup(io::Error),
    /// The name resolves only to addresses the policy refuses.
    #[error("the name resolves to a refused address: {0}")]
    Prohibited(Prohibited),
}

/// Resolves with the system's resolver, keeping only allowed addresses.
#[derive(Clone)]
struct CheckedResolver {
    policy: Arc<AddressPolicy>,
}

impl tower_service::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = ResolveError;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(ResolveError::Lookup)?
                .collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(prohibited) => {
                        refused.get_or_insert(prohibited);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(prohibited)) => Err(ResolveError::Prohibited(prohibited)),
                (true, None) => Err(ResolveError::Lookup(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no address",
                ))),
                (false, _) => Ok(allowed.into_iter()),
            }
        })
    }
}
