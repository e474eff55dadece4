//! The tenant's log of Management API changes: around each write
//! (`POST`, `PUT`, `PATCH`, `DELETE` under `/api/v2/`) whose key named a
//! tenant, an `sapi` event, or `fapi` when it failed; the method, the path
//! (never the query string) and the status, never the bodies. A request
//! without a valid key names no tenant and is not logged.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use authbox::flows::LoginContext;

/// Where [`Caller`](super::auth::Caller) leaves the tenant its key named,
/// for the audit around the request.
#[derive(Clone, Default)]
pub(crate) struct KeyTenant(Arc<OnceLock<String>>);

impl KeyTenant {
    /// Records the request's tenant (once).
    pub(crate) fn set(&self, tenant_id: &str) {
        let _ = self.0.set(tenant_id.to_string());
    }
}

/// Runs the request, then logs it if it was a change by a tenant's key.
pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let change = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !change || !request.uri().path().starts_with("/api/v2/") {
        return next.run(request).await;
    }
    let tenant = KeyTenant::default();
    request.extensions_mut().insert(tenant.clone());
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let context = LoginContext {
        ip: request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|peer| peer.0.ip().to_canonical().to_string()),
        user_agent: request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ..LoginContext::default()
    };
    let response = next.run(request).await;
    if let Some(tenant_id) = tenant.0.get() {
        let status = response.status().as_u16();
        state
            .authbox
            .log_api_operation(tenant_id, &method, &path, status, &context);
    }
    response
}
