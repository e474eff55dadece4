//! `/api/v2/clients`: the tenant's applications (the clients of
//! `/oauth/token`), on Auth0's paths: listed, read, changed (whether their
//! `auth0-forwarded-for` header is trusted), deleted, and given a new secret
//! (`rotate-secret`, the only answer that shows one). A deleted
//! application, or an old secret, is refused by every process sharing the
//! store within a second.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::body::JsonBody;
use super::error::{ApiError, ErrorBody, KeyRefused};
use super::params::PathParams;
use authbox::store::Client;

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read, update, remove))
        .routes(routes!(rotate_secret))
}

/// An application as answered (its secret only by `rotate-secret`).
#[derive(Serialize, ToSchema)]
struct ClientJson {
    /// Its public id.
    client_id: String,
    /// A name for people.
    name: String,
    /// Whether its `auth0-forwarded-for` header names the end user's IP at
    /// `/oauth/token` (for a backend logging users in on their behalf).
    is_token_endpoint_ip_header_trusted: bool,
    /// Only in the answer of `rotate-secret`: the new secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl From<Client> for ClientJson {
    fn from(client: Client) -> Self {
        ClientJson {
            client_id: client.client_id,
            name: client.name,
            is_token_endpoint_ip_header_trusted: client.ip_header_trusted,
            client_secret: None,
        }
    }
}

/// The tenant's applications, oldest first.
#[utoipa::path(
    get,
    path = "/api/v2/clients",
    operation_id = "get_clients",
    tag = "clients",
    security(("api_key" = ["read:clients"])),
    responses(
        (status = 200, body = Vec<ClientJson>, description = "The applications."),
        KeyRefused,
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ClientJson>>, ApiError> {
    caller.require("read:clients")?;
    let clients = state.authbox.clients(&caller.tenant_id).await?;
    Ok(Json(clients.into_iter().map(ClientJson::from).collect()))
}

/// One application of the tenant.
#[utoipa::path(
    get,
    path = "/api/v2/clients/{id}",
    operation_id = "get_client",
    tag = "clients",
    params(("id" = String, Path, description = "The client id.")),
    security(("api_key" = ["read:clients"])),
    responses(
        (status = 200, body = ClientJson, description = "The application."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such application in the key's tenant."),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<ClientJson>, ApiError> {
    caller.require("read:clients")?;
    Ok(Json(one_client(&state, &caller, &id).await?.into()))
}

/// The caller's tenant's application `id`.
async fn one_client(state: &AppState, caller: &Caller, id: &str) -> Result<Client, ApiError> {
    state
        .authbox
        .clients(&caller.tenant_id)
        .await?
        .into_iter()
        .find(|c| c.client_id == id)
        .ok_or_else(|| ApiError::not_found("client"))
}

/// A change of an application.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ClientChange {
    /// Whether its `auth0-forwarded-for` header names the end user's IP.
    is_token_endpoint_ip_header_trusted: Option<bool>,
}

/// Changes an application: whether its `auth0-forwarded-for` header is
/// trusted (seen by every process within a second).
#[utoipa::path(
    patch,
    path = "/api/v2/clients/{id}",
    operation_id = "update_client",
    tag = "clients",
    params(("id" = String, Path, description = "The client id.")),
    request_body = ClientChange,
    security(("api_key" = ["update:clients"])),
    responses(
        (status = 200, body = ClientJson, description = "The application as changed."),
        (status = 400, body = ErrorBody, description = "Malformed body or unknown property (named)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such application in the key's tenant."),
    )
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(change): JsonBody<ClientChange>,
) -> Result<Json<ClientJson>, ApiError> {
    caller.require("update:clients")?;
    let client = match change.is_token_endpoint_ip_header_trusted {
        Some(trusted) => {
            state
                .authbox
                .set_client_ip_header_trusted(&caller.tenant_id, &id, trusted)
                .await?
        }
        None => one_client(&state, &caller, &id).await?,
    };
    Ok(Json(client.into()))
}

/// Deletes an application: its logins are refused from now on.
#[utoipa::path(
    delete,
    path = "/api/v2/clients/{id}",
    operation_id = "delete_client",
    tag = "clients",
    params(("id" = String, Path, description = "The client id.")),
    security(("api_key" = ["delete:clients"])),
    responses(
        (status = 204, description = "Deleted."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such application in the key's tenant."),
    )
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:clients")?;
    state.authbox.revoke_client(&caller.tenant_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the application a new secret, answered once; the old one is
/// refused from now on.
#[utoipa::path(
    post,
    path = "/api/v2/clients/{id}/rotate-secret",
    operation_id = "rotate_client_secret",
    tag = "clients",
    params(("id" = String, Path, description = "The client id.")),
    security(("api_key" = ["update:client_keys"])),
    responses(
        (status = 200, body = ClientJson, description = "The application, with its new `client_secret`."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such application in the key's tenant."),
    )
)]
async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<ClientJson>, ApiError> {
    caller.require("update:client_keys")?;
    let (client, secret) = state
        .authbox
        .rotate_client_secret(&caller.tenant_id, &id)
        .await?;
    Ok(Json(ClientJson {
        client_secret: Some(secret),
        ..client.into()
    }))
}
