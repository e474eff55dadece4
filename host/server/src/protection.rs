//! Attack protection on Auth0's paths: the tenant's settings
//! (`/api/v2/attack-protection/brute-force-protection` and
//! `.../suspicious-ip-throttling`), the blocks of brute-force protection
//! (`/api/v2/user-blocks/{id}`, `/api/v2/user-blocks?identifier=`) and of
//! suspicious-IP throttling (`/api/v2/anomaly/blocks/ips/{ip}`).

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::body::JsonBody;
use super::error::{ApiError, ErrorBody, KeyRefused};
use super::params::{PathParams, QueryParams};
use authbox::protection::{
    Block, BruteForcePatch, BruteForceProtection, SuspiciousIpPatch, SuspiciousIpThrottling,
};

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read_brute_force, update_brute_force))
        .routes(routes!(read_suspicious_ip, update_suspicious_ip))
        .routes(routes!(user_blocks, unblock_user))
        .routes(routes!(identifier_blocks, unblock_identifier))
        .routes(routes!(ip_blocked, unblock_ip))
}

/// The tenant's brute-force protection.
#[utoipa::path(
    get,
    path = "/api/v2/attack-protection/brute-force-protection",
    operation_id = "get_brute_force_protection",
    tag = "attack-protection",
    security(("api_key" = ["read:attack_protection"])),
    responses(
        (status = 200, body = BruteForceProtection, description = "The settings."),
        KeyRefused,
    )
)]
async fn read_brute_force(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<BruteForceProtection>, ApiError> {
    caller.require("read:attack_protection")?;
    let settings = state.authbox.attack_protection(&caller.tenant_id).await?;
    Ok(Json(settings.brute_force))
}

/// Changes the tenant's brute-force protection: what is given replaces
/// what was.
#[utoipa::path(
    patch,
    path = "/api/v2/attack-protection/brute-force-protection",
    operation_id = "update_brute_force_protection",
    tag = "attack-protection",
    request_body = BruteForcePatch,
    security(("api_key" = ["update:attack_protection"])),
    responses(
        (status = 200, body = BruteForceProtection, description = "The settings as changed."),
        (status = 400, body = ErrorBody, description = "Malformed body, unknown property, a value out of range or an allow-list entry that is not an IP or CIDR range (named)."),
        KeyRefused,
    )
)]
async fn update_brute_force(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(patch): JsonBody<BruteForcePatch>,
) -> Result<Json<BruteForceProtection>, ApiError> {
    caller.require("update:attack_protection")?;
    let settings = state
        .authbox
        .update_brute_force_protection(&caller.tenant_id, patch)
        .await?;
    Ok(Json(settings))
}

/// The tenant's suspicious-IP throttling.
#[utoipa::path(
    get,
    path = "/api/v2/attack-protection/suspicious-ip-throttling",
    operation_id = "get_suspicious_ip_throttling",
    tag = "attack-protection",
    security(("api_key" = ["read:attack_protection"])),
    responses(
        (status = 200, body = SuspiciousIpThrottling, description = "The settings."),
        KeyRefused,
    )
)]
async fn read_suspicious_ip(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SuspiciousIpThrottling>, ApiError> {
    caller.require("read:attack_protection")?;
    let settings = state.authbox.attack_protection(&caller.tenant_id).await?;
    Ok(Json(settings.suspicious_ip))
}

/// Changes the tenant's suspicious-IP throttling: what is given replaces
/// what was (a stage's fields one by one).
#[utoipa::path(
    patch,
    path = "/api/v2/attack-protection/suspicious-ip-throttling",
    operation_id = "update_suspicious_ip_throttling",
    tag = "attack-protection",
    request_body = SuspiciousIpPatch,
    security(("api_key" = ["update:attack_protection"])),
    responses(
        (status = 200, body = SuspiciousIpThrottling, description = "The settings as changed."),
        (status = 400, body = ErrorBody, description = "Malformed body, unknown property, a value out of range or an allow-list entry that is not an IP or CIDR range (named)."),
        KeyRefused,
    )
)]
async fn update_suspicious_ip(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(patch): JsonBody<SuspiciousIpPatch>,
) -> Result<Json<SuspiciousIpThrottling>, ApiError> {
    caller.require("update:attack_protection")?;
    let settings = state
        .authbox
        .update_suspicious_ip_throttling(&caller.tenant_id, patch)
        .await?;
    Ok(Json(settings))
}

/// The blocks brute-force protection holds, in Auth0's shape.
#[derive(Serialize, ToSchema)]
struct UserBlocks {
    /// One entry per blocked identifier (and IP).
    blocked_for: Vec<BlockJson>,
}

/// An IPv4 or IPv6 address, as the document describes a path's.
struct IpAddress;

impl utoipa::PartialSchema for IpAddress {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let address = |format: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom(format.into())))
        };
        OneOfBuilder::new()
            .item(address("ipv4"))
            .item(address("ipv6"))
            .into()
    }
}

impl ToSchema for IpAddress {}

/// One block.
#[derive(Serialize, ToSchema)]
struct BlockJson {
    /// The email or username, lowercased.
    identifier: String,
    /// The IP it is blocked from; absent when blocked from everywhere
    /// (mode `count_per_identifier`).
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    /// The connection's name.
    connection: String,
}

impl From<Vec<Block>> for UserBlocks {
    fn from(blocks: Vec<Block>) -> Self {
        let blocked_for = blocks
            .into_iter()
            .map(|b| BlockJson {
                identifier: b.identifier,
                ip: b.ip,
                connection: b.connection,
            })
            .collect();
        UserBlocks { blocked_for }
    }
}

/// `consider_brute_force_enablement`, Auth0's switch.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Enforced {
    /// `true`: no blocks are listed while brute-force protection does not
    /// block.
    #[serde(default)]
    consider_brute_force_enablement: bool,
}

/// The blocks on a user's email and username, in its connection.
#[utoipa::path(
    get,
    path = "/api/v2/user-blocks/{id}",
    operation_id = "get_user_blocks",
    tag = "attack-protection",
    params(("id" = String, Path, description = "The user's `user_id`."), Enforced),
    security(("api_key" = ["read:users"])),
    responses(
        (status = 200, body = UserBlocks, description = "The user's blocks (`blocked_for` empty when none)."),
        (status = 400, body = ErrorBody, description = "A malformed query string."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such user in the key's tenant."),
    )
)]
async fn user_blocks(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<Enforced>,
) -> Result<Json<UserBlocks>, ApiError> {
    caller.require("read:users")?;
    let blocks = state
        .authbox
        .user_blocks(
            &caller.tenant_id,
            &id,
            query.consider_brute_force_enablement,
        )
        .await?;
    Ok(Json(blocks.into()))
}

/// Lifts the user's blocks from every IP (and forgets its failed logins).
#[utoipa::path(
    delete,
    path = "/api/v2/user-blocks/{id}",
    operation_id = "delete_user_blocks",
    tag = "attack-protection",
    params(("id" = String, Path, description = "The user's `user_id`.")),
    security(("api_key" = ["update:users"])),
    responses(
        (status = 204, description = "Unblocked."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such user in the key's tenant."),
    )
)]
async fn unblock_user(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("update:users")?;
    state.authbox.unblock_user(&caller.tenant_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An identifier and Auth0's switch.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ByIdentifier {
    /// An email or username, in any case.
    #[param(min_length = 1)]
    identifier: String,
    /// `true`: no blocks are listed while brute-force protection does not
    /// block.
    #[serde(default)]
    consider_brute_force_enablement: bool,
}

/// The blocks on an identifier (an email or username), in every connection.
#[utoipa::path(
    get,
    path = "/api/v2/user-blocks",
    operation_id = "get_user_blocks_by_identifier",
    tag = "attack-protection",
    params(ByIdentifier),
    security(("api_key" = ["read:users"])),
    responses(
        (status = 200, body = UserBlocks, description = "The identifier's blocks (`blocked_for` empty when none)."),
        (status = 400, body = ErrorBody, description = "No `identifier`, or a malformed query string."),
        KeyRefused,
    )
)]
async fn identifier_blocks(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ByIdentifier>,
) -> Result<Json<UserBlocks>, ApiError> {
    caller.require("read:users")?;
    let blocks = state
        .authbox
        .identifier_blocks(
            &caller.tenant_id,
            &query.identifier,
            query.consider_brute_force_enablement,
        )
        .await?;
    Ok(Json(blocks.into()))
}

/// An identifier.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Identifier {
    /// An email or username, in any case.
    #[param(min_length = 1)]
    identifier: String,
}

/// Lifts an identifier's blocks in every connection, from every IP.
#[utoipa::path(
    delete,
    path = "/api/v2/user-blocks",
    operation_id = "delete_user_blocks_by_identifier",
    tag = "attack-protection",
    params(Identifier),
    security(("api_key" = ["update:users"])),
    responses(
        (status = 204, description = "Unblocked."),
        (status = 400, body = ErrorBody, description = "No `identifier`, or a malformed query string."),
        KeyRefused,
    )
)]
async fn unblock_identifier(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<Identifier>,
) -> Result<StatusCode, ApiError> {
    caller.require("update:users")?;
    state
        .authbox
        .unblock_identifier(&caller.tenant_id, &query.identifier)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The IP of an anomaly path, canonical (IPv4 mapped into IPv6 as IPv4).
fn ip_of(text: &str) -> Result<String, ApiError> {
    text.parse::<IpAddr>()
        .map(|ip| ip.to_canonical().to_string())
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_uri",
                format!("Path validation error: '{text}' is not an IP address"),
            )
        })
}

/// Whether suspicious-IP throttling blocks the IP now.
#[utoipa::path(
    get,
    path = "/api/v2/anomaly/blocks/ips/{id}",
    operation_id = "get_ips_by_id",
    tag = "attack-protection",
    params(("id" = inline(IpAddress), Path, description = "An IPv4 or IPv6 address.")),
    security(("api_key" = ["read:anomaly_blocks"])),
    responses(
        (status = 200, description = "The IP is blocked."),
        (status = 400, body = ErrorBody, description = "Not an IP address."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "The IP is not blocked."),
    )
)]
async fn ip_blocked(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("read:anomaly_blocks")?;
    match state
        .authbox
        .ip_blocked(&caller.tenant_id, &ip_of(&id)?)
        .await?
    {
        true => Ok(StatusCode::OK),
        false => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "inexistent_resource",
            "The IP address is not blocked.",
        )),
    }
}

/// Lifts suspicious-IP throttling's block of the IP (its buckets start
/// full again).
#[utoipa::path(
    delete,
    path = "/api/v2/anomaly/blocks/ips/{id}",
    operation_id = "delete_ips_by_id",
    tag = "attack-protection",
    params(("id" = inline(IpAddress), Path, description = "An IPv4 or IPv6 address.")),
    security(("api_key" = ["delete:anomaly_blocks"])),
    responses(
        (status = 204, description = "Unblocked."),
        (status = 400, body = ErrorBody, description = "Not an IP address."),
        KeyRefused,
    )
)]
async fn unblock_ip(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:anomaly_blocks")?;
    state
        .authbox
        .unblock_ip(&caller.tenant_id, &ip_of(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
