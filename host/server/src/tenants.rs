//! `/api/v2/tenants/settings`: the caller's tenant's settings, on Auth0's
//! path: its name and its default connection (`default_directory`, the
//! connection `grant_type=password` logs in through).

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
}

impl From<Tenant> for TenantSettings {
    fn from(tenant: Tenant) -> Self {
        TenantSettings {
            friendly_name: tenant.name,
            default_directory: tenant.default_connection,
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
        (status = 400, body = ErrorBody, description = "Malformed body or unknown property (named)."),
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
    let tenant = match change.default_directory {
        Some(name) => {
            state
                .authbox
                .set_default_connection(&caller.tenant_id, name.as_deref())
                .await?
        }
        None => state.authbox.tenant(&caller.tenant_id).await?,
    };
    Ok(Json(tenant.into()))
}
