//! The OpenAPI document of the whole API, served at
//! `GET /api/v2/openapi.json`. Each module registers its handlers through
//! `utoipa_axum`'s `routes!`, which takes a route's path and method from the
//! handler's `#[utoipa::path]`: a route cannot be served without being in
//! the document, nor documented at another path than it is served on.

use axum::body::Bytes;
use axum::http::header;
use axum::routing::{MethodRouter, get};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
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
        (name = "jobs", description = "Bulk user imports and exports, run in the background (Management API)."),
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

/// The records an answer may trim to the properties `fields` asks for:
/// none of their properties is required (as in Auth0's own document).
const TRIMMED_BY_FIELDS: [&str; 3] = ["User", "Connection", "LogEvent"];

/// Documents that `fields` may leave any property of those records out.
pub(super) fn document_fields_trimming(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in TRIMMED_BY_FIELDS {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            object.required.clear();
        }
    }
}

/// Writes this deployment's most script calls in flight into the schemas
/// of the settings that take them (a tenant's, a connection's).
pub(super) fn document_calls_maximum(doc: &mut utoipa::openapi::OpenApi, max: u32) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in ["TenantLimits", "ConnectionLimits"] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name)
            && let Some(RefOr::T(Schema::Object(calls))) =
                object.properties.get_mut("calls_in_flight")
        {
            calls.maximum = Some(max.into());
        }
    }
}

/// Documents the 400 of every operation that takes parameters and does not
/// document one already: a query string or path that cannot be read is
/// answered `invalid_query_string` or `invalid_uri`, whatever the route.
pub(super) fn document_parameter_errors(doc: &mut utoipa::openapi::OpenApi) {
    let bad_parameter = || {
        ResponseBuilder::new()
            .description(
                "`invalid_query_string` or `invalid_uri`: a parameter that cannot be read (named).",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        let operations: [&mut Option<Operation>; 5] = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            if has_parameters && !operation.responses.responses.contains_key("400") {
                operation
                    .responses
                    .responses
                    .insert("400".into(), bad_parameter().into());
            }
        }
    }
}
