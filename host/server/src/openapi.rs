//! The OpenAPI document of the whole API, served at
//! `GET /api/v2/openapi.json`. Each module registers its handlers through
//! `utoipa_axum`'s `routes!`, which takes a route's path and method from the
//! handler's `#[utoipa::path]`: a route cannot be served without being in
//! the document, nor documented at another path than it is served on.

use axum::body::Bytes;
use axum::http::header;
use axum::routing::{MethodRouter, get};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// `GET` of the document, rendered once: it does not change while the
/// server runs.
pub(super) fn serve<S: Clone + Send + Sync + 'static>(
    doc: &utoipa::openapi::OpenApi,
) -> MethodRouter<S> {
    let json = Bytes::from(doc.to_pretty_json().unwrap_or_default());
    get(move || {
        let json = json.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], json) }
    })
}

/// The document's fixed part; the paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "authbox",
        description = "Custom-database connections over HTTP: Auth0's Management API paths and shapes for \
                       users and connections, script upload, and the Authentication API's password grants.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&Security),
    tags(
        (name = "users", description = "The tenant's cached users (Management API)."),
        (name = "connections", description = "The tenant's connections and their scripts (Management API)."),
        (name = "tenants", description = "The tenant's settings (Management API)."),
        (name = "clients", description = "The tenant's applications, the clients of `/oauth/token` (Management API)."),
        (name = "attack-protection", description = "Brute-force protection and suspicious-IP throttling: settings and blocks (Management API)."),
        (name = "logs", description = "The tenant's log events: logins, signups, deletions... (Management API)."),
        (name = "jobs", description = "Bulk user imports, run in the background (Management API)."),
        (name = "authentication", description = "Logins, user info and token-signing keys (Authentication API)."),
        (name = "operations", description = "Health and metrics."),
    )
)]
pub(super) struct ApiDoc;

/// The two ways a caller authenticates.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.description = Some(description.to_string());
            SecurityScheme::Http(http)
        };
        components.add_security_scheme(
            "api_key",
            bearer(
                "A Management API key (`authbox keys create`): its tenant is the only one it sees; \
                 each operation lists the scope it needs.",
            ),
        );
        components.add_security_scheme(
            "access_token",
            bearer("The `access_token` of a `/oauth/token` answer."),
        );
    }
}
