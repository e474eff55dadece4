//! `wasi:http/outgoing-handler`: a script's outbound HTTP, on the standard
//! interface (so any language's HTTP client works), with authbox deciding
//! every request.
//!
//! A request goes out only to an origin in the connection's
//! [`AllowedHosts`] (none: no network), and connects only to an address the
//! deployment's [`AddressPolicy`] accepts, resolved once by the host and
//! connected to as checked. Redirects are the script's to follow.
//!
//! Bounds, each a named `wasi:http` error to the script:
//! - requests per call ([`HttpConfig::max_requests_per_call`], 20):
//!   `connection-limit-reached`;
//! - connect time (5 s): `connection-timeout`; time to the response's
//!   headers (10 s, or less if the script asks): `HTTP-response-timeout`;
//! - request and response bodies (1 MiB each): `HTTP-request-body-size`,
//!   `HTTP-response-body-size`; headers (128 KiB per field set);
//! - all of it within the call's deadline: when the call ends, its store
//!   and with it every request in flight are dropped (their tasks abort).
//!
//! The host copies at most the body bounds per request; a response's
//! bytes move into the script's memory as it reads them.

mod address_policy;
mod allowed_hosts;
mod client;
mod limited_body;
mod outbound;
#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ipnet::IpNet;
use wasmtime::component::Linker;
use wasmtime_wasi_http::p2::bindings::LinkOptions;
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types};
use wasmtime_wasi_http::{WasiHttp, WasiHttpCtx, WasiHttpCtxView};

pub use address_policy::{AddressPolicy, Prohibited};
pub use allowed_hosts::{AllowedHost, AllowedHostError, AllowedHosts, HttpScheme};

use super::{CallScope, Capability, CapabilityView, HasCapability};
use client::HttpClient;
use outbound::OutboundHooks;

/// The deployment's settings for outbound HTTP.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Ranges refused by default (loopback, private, link-local...) that
    /// scripts may reach in this deployment.
    pub allowed_private_networks: Vec<IpNet>,
    /// Time to open a TCP connection.
    pub connect_timeout: Duration,
    /// Time from sending a request to its response's headers.
    pub first_byte_timeout: Duration,
    /// The largest response body a script may receive.
    pub max_response_bytes: u64,
    /// The largest request body a script may send.
    pub max_request_body_bytes: u64,
    /// Requests one call may send.
    pub max_requests_per_call: u32,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per origin in a connection's pool.
    pub pool_max_idle_per_host: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            allowed_private_networks: Vec::new(),
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(10),
            max_response_bytes: 1 << 20,
            max_request_body_bytes: 1 << 20,
            max_requests_per_call: 20,
            pool_idle_timeout: Duration::from_secs(30),
            pool_max_idle_per_host: 32,
        }
    }
}

/// What the process holds for outbound HTTP.
#[derive(Clone)]
pub struct SharedHttp {
    config: Arc<HttpConfig>,
    policy: Arc<AddressPolicy>,
}

/// A connection's settings: its allow-list, and its client's pool (opened
/// at its first request, shared by its calls, by no other connection).
#[derive(Clone, Default)]
pub struct HttpSettings {
    allowed: Arc<AllowedHosts>,
    pool: Arc<OnceLock<HttpClient>>,
}

impl HttpSettings {
    /// The settings of a connection that may reach `allowed`.
    pub fn new(allowed: AllowedHosts) -> Self {
        HttpSettings {
            allowed: Arc::new(allowed),
            pool: Arc::default(),
        }
    }

    /// The connection's allow-list.
    pub fn allowed_hosts(&self) -> &AllowedHosts {
        &self.allowed
    }
}

/// The `wasi:http` state of one call.
pub struct HttpCapability {
    ctx: WasiHttpCtx,
    hooks: OutboundHooks,
}

impl Capability for HttpCapability {
    const INTERFACE: &'static str = "wasi:http/outgoing-handler";
    type Settings = HttpSettings;
    type Config = HttpConfig;
    type Shared = SharedHttp;

    fn shared(config: &HttpConfig) -> SharedHttp {
        SharedHttp {
            policy: Arc::new(AddressPolicy::new(config.allowed_private_networks.clone())),
            config: Arc::new(config.clone()),
        }
    }

    fn for_call(settings: &HttpSettings, shared: &SharedHttp, scope: &CallScope<'_>) -> Self {
        HttpCapability {
            ctx: WasiHttpCtx::new(),
            hooks: OutboundHooks {
                allowed: Arc::clone(&settings.allowed),
                pool: Arc::clone(&settings.pool),
                shared: shared.clone(),
                deadline: scope.deadline,
                log: scope.log.clone(),
                sent: 0,
            },
        }
    }

    fn add_to_linker<T: HasCapability<Self>>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
        outgoing_handler::add_to_linker::<T, WasiHttp>(linker, view)?;
        types::add_to_linker::<T, WasiHttp>(linker, &LinkOptions::default().into(), view)
    }
}

/// `wasi:http`'s view of a call: this capability's state and the call's
/// resource table, which its streams share with WASI.
fn view<T: HasCapability<HttpCapability>>(data: &mut T) -> WasiHttpCtxView<'_> {
    let CapabilityView { state, table } = data.capability();
    WasiHttpCtxView {
        ctx: &mut state.ctx,
        hooks: &mut state.hooks,
        table,
    }
}
