//! `/api/v2/tenants/settings`: the caller's tenant's settings, on Auth0's
//! path: its name, its default connection (`default_directory`, the
//! connection `grant_type=password` logs in through) and its cap on script
//! calls in flight (`limits.calls_in_flight`, an authbox extension).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::body::JsonBody;
use super::error::{ApiError, ErrorBody, KeyRefused};
use authbox::flows::TenantChange;
use authbox::store::Tenant;

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read, update))
}

/// A tenant's settings as answered.
#[derive(Serialize, ToSchema)]
struct TenantSettings {
    /// The tenant's name.
    friendly_name: String,
    /// The connection `grant_type=password` logs in through; when none is
    /// set, the tenant's only connection.
    default_directory: Option<String>,
    /// The tenant's own limits.
    limits: TenantLimits,
}

/// A tenant's limits.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TenantLimits {
    /// Script calls the tenant may have in flight at once, all its
    /// connections together (more wait, then are answered 429); `null`: the
    /// deployment's default. From 1 to the deployment's most.
    #[schema(minimum = 1)]
    calls_in_flight: Option<u32>,
}

impl From<Tenant> for TenantSettings {
    fn from(tenant: Tenant) -> Self {
        TenantSettings {
            friendly_name: tenant.name,
            default_directory: tenant.default_connection,
            limits: TenantLimits {
                calls_in_flight: tenant.calls_in_flight,
            },
        }
    }
}

/// A change of the settings: what is given replaces what was.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SettingsChange {
    /// A connection's name, or `null` to clear it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    default_directory: Option<Option<String>>,
    /// The tenant's limits, replaced whole.
    limits: Option<TenantLimits>,
}

/// Tells a property given as `null` (`Some(None)`) from one not given.
fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The tenant's settings.
#[utoipa::path(
    get,
    path = "/api/v2/tenants/settings",
    operation_id = "get_tenant_settings",
    tag = "tenants",
    security(("api_key" = ["read:tenant_settings"])),
    responses(
        (status = 200, body = TenantSettings, description = "The settings."),
        KeyRefused,
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TenantSettings>, ApiError> {
    caller.require("read:tenant_settings")?;
    let tenant = state.authbox.tenant(&caller.tenant_id).await?;
    Ok(Json(tenant.into()))
}

/// Changes the tenant's settings.
#[utoipa::path(
    patch,
    path = "/api/v2/tenants/settings",
    operation_id = "update_tenant_settings",
    tag = "tenants",
    request_body = SettingsChange,
    security(("api_key" = ["update:tenant_settings"])),
    responses(
        (status = 200, body = TenantSettings, description = "The settings as changed."),
        (status = 400, body = ErrorBody, description = "Malformed body, unknown property or a limit out of range (named)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the tenant."),
    )
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(change): JsonBody<SettingsChange>,
) -> Result<Json<TenantSettings>, ApiError> {
    caller.require("update:tenant_settings")?;
    let change = TenantChange {
        default_connection: change.default_directory,
        calls_in_flight: change.limits.map(|limits| limits.calls_in_flight),
    };
    let tenant = state
        .authbox
        .update_tenant(&caller.tenant_id, change)
        .await?;
    Ok(Json(tenant.into()))
}
