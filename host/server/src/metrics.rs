//! `GET /metrics`: authbox's counters (script calls, their durations,
//! logins) and the server's (requests by route, method and status) in
//! Prometheus' text format. Routes are the templates (`/api/v2/users/{id}`),
//! so no user id or email ever becomes a label.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use authbox::flows::Authbox;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

/// The server's registry and its request counter.
pub struct ServerMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    authbox: Authbox,
}

impl ServerMetrics {
    /// A registry with `authbox`'s metrics and the request counter.
    pub fn new(authbox: &Authbox) -> Self {
        let mut registry = Registry::default();
        authbox.metrics().register(&mut registry);
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "authbox_http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        ServerMetrics {
            registry,
            requests,
            authbox: authbox.clone(),
        }
    }
}

/// Counts every request once its answer is ready.
pub async fn count(
    State(metrics): State<Arc<ServerMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_string();
    let method = request.method().to_string();
    let response = next.run(request).await;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The metrics, in OpenMetrics text: `authbox_script_calls_total{action,
/// outcome}`, `authbox_script_call_seconds`, `authbox_logins_total{result}`,
/// `authbox_script_calls_refused_total{tenant,full}`,
/// `authbox_call_slots_held{tenant}` and `_waiting`,
/// `authbox_hash_workers_held{tenant}` and `_waiting`,
/// `authbox_http_requests_total{route,method,status}`.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses((status = 200, body = String, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")),
)]
pub async fn render(State(metrics): State<Arc<ServerMetrics>>) -> Response {
    let authbox = &metrics.authbox;
    authbox.metrics().sample(authbox.runtime());
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &metrics.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            Body::from(text),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
