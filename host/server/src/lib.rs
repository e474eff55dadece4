//! authbox over HTTP (axum on tokio), as `authbox serve` runs it: the
//! Management API (`/api/v2/...`, Auth0's paths and shapes, a tenant's API
//! key as bearer), the Authentication API (`/oauth/token`, `/userinfo`,
//! the JWKS), the OpenAPI document and operations endpoints, over one
//! [`Authbox`]. Every answer is made from the library's errors and records.

#![warn(missing_docs)]

mod audit;
mod auth;
mod body;
mod clients;
mod connections;
mod dbconnections;
mod error;
mod fields;
mod jobs;
mod keys;
mod logs;
mod metrics;
mod openapi;
mod params;
mod protection;
mod reset;
mod tenants;
#[cfg(test)]
mod tests;
mod tickets;
mod token;
mod users;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;

use authbox::flows::Authbox;
use keys::Keys;
use metrics::ServerMetrics;

/// The cap on a JSON request body.
pub const MAX_JSON_BODY_BYTES: usize = 1 << 20;

/// How the server presents itself.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The `iss` of its tokens: its public base URL, ending in `/`.
    pub issuer: String,
    /// The directory tenants' `sqlite:` data sources must be in; `None`
    /// refuses them (a tenant must not name any file of the server).
    pub sqlite_dir: Option<std::path::PathBuf>,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    authbox: Authbox,
    keys: Arc<Keys>,
    issuer: String,
    sqlite_dir: Option<Arc<std::path::Path>>,
}

/// The header carrying each request's id (the client's, or a new UUID),
/// answered back and on every log line of the request.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The log span of a request: its id, method and path (never the query
/// string or the body, which may hold emails or passwords).
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
}

/// Whether the server is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String, example = "ok")))]
async fn healthz() -> &'static str {
    "ok"
}

/// The whole HTTP API over `authbox`, with its OpenAPI document at
/// `/api/v2/openapi.json`.
pub fn router(authbox: Authbox, settings: ServerSettings) -> Router {
    let server_metrics = Arc::new(ServerMetrics::new(&authbox));
    let (operations, operations_doc) = OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(metrics::render))
        .with_state(server_metrics.clone())
        .split_for_parts();
    let (api, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(users::routes())
        .merge(tenants::routes())
        .merge(clients::routes())
        .merge(protection::routes())
        .merge(token::routes())
        .merge(dbconnections::routes())
        .merge(reset::routes())
        .merge(tickets::routes())
        .merge(logs::routes())
        .merge(jobs::routes())
        .merge(connections::routes(
            authbox.runtime().config().max_script_bytes,
        ))
        .split_for_parts();
    doc.merge(operations_doc);
    openapi::document_parameter_errors(&mut doc);
    openapi::document_fields_trimming(&mut doc);
    openapi::document_calls_maximum(&mut doc, authbox.tenant_calls().max);
    let state = AppState {
        authbox,
        keys: Arc::default(),
        issuer: settings.issuer,
        sqlite_dir: settings.sqlite_dir.map(Arc::from),
    };
    api.route("/api/v2/openapi.json", openapi::serve(&doc))
        .fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "No such endpoint.",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record,
        ))
        .with_state(state)
        .merge(operations)
        .layer(axum::middleware::from_fn_with_state(
            server_metrics,
            metrics::count,
        ))
        .layer(
            // Outermost first: the id is set, then every log line of the
            // request carries it, then the answer does.
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
}

/// Serves the API on `listener` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    authbox: Authbox,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(authbox, settings).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
