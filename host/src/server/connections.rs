//! `/api/v2/connections`: a tenant's connections, their settings (the
//! configuration values and data-source URLs are write-only: never
//! answered), their script versions, and "try" (one action of the active
//! script, answered as `authbox run --json` prints it).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::body::{JsonBody, WasmBody};
use super::error::ApiError;
use crate::capabilities::sql::DataSourceUrl;
use crate::runtime::ActionCall;
use crate::store::{
    Connection, ConnectionLimits, ConnectionSettings, PasswordHashing, ScriptVersion,
};

/// How long validating and compiling an uploaded script may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// The routes; `max_script_bytes` caps an upload.
pub fn routes(max_script_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v2/connections", get(list).post(create))
        .route(
            "/api/v2/connections/{id}",
            get(read).patch(update).delete(remove),
        )
        .route(
            "/api/v2/connections/{id}/script",
            put(upload).layer(DefaultBodyLimit::max(max_script_bytes)),
        )
        .route("/api/v2/connections/{id}/scripts", get(versions))
        .route(
            "/api/v2/connections/{id}/scripts/{version}/activate",
            post(activate),
        )
        .route("/api/v2/connections/{id}/try", post(try_action))
}

/// A connection as answered: secrets by name only.
fn shown(connection: &Connection) -> Value {
    let settings = &connection.settings;
    json!({
        "id": connection.id,
        "name": connection.name,
        "strategy": "auth0",
        "realms": [connection.name],
        "options": {
            "import_mode": settings.import_mode,
            "set_user_root_attributes": if settings.sync_root_attributes { "on_each_login" } else { "on_first_login" },
            "password_hashing": settings.password_hashing,
            "limits": settings.limits,
            "configuration_keys": settings.config.keys().collect::<Vec<_>>(),
            "datasource_names": settings.datasources.keys().collect::<Vec<_>>(),
        },
        "active_script_version": connection.active_version,
        "created_at": connection.created_at,
        "updated_at": connection.updated_at,
    })
}

/// When the root attributes of a cached profile are refreshed.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RootAttributes {
    OnEachLogin,
    OnFirstLogin,
}

/// `options` of a create or update: what is given replaces what was.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OptionsIn {
    import_mode: Option<bool>,
    set_user_root_attributes: Option<RootAttributes>,
    password_hashing: Option<PasswordHashing>,
    limits: Option<ConnectionLimits>,
    configuration: Option<BTreeMap<String, String>>,
    datasources: Option<BTreeMap<String, String>>,
}

impl OptionsIn {
    /// Refuses `sqlite:` data sources outside the operator's directory.
    fn check_sqlite(&self, allowed: Option<&std::path::Path>) -> Result<(), ApiError> {
        for (name, url) in self.datasources.iter().flatten() {
            let Ok(url) = url.parse::<DataSourceUrl>() else {
                continue; // The library names what is wrong with it.
            };
            let Some(path) = url.sqlite_path() else {
                continue;
            };
            let inside = allowed.is_some_and(|dir| {
                path.is_absolute()
                    && path.starts_with(dir)
                    && !path
                        .components()
                        .any(|c| c == std::path::Component::ParentDir)
            });
            if !inside {
                let rule = match allowed {
                    Some(dir) => format!("must be a file under {}", dir.display()),
                    None => {
                        "are not allowed on this server (its operator set no --sqlite-dir)".into()
                    }
                };
                return Err(ApiError::invalid_body(format!(
                    "options.datasources.{name}: sqlite data sources {rule}"
                )));
            }
        }
        Ok(())
    }

    fn apply(self, settings: &mut ConnectionSettings) {
        if let Some(import_mode) = self.import_mode {
            settings.import_mode = import_mode;
        }
        if let Some(root) = self.set_user_root_attributes {
            settings.sync_root_attributes = matches!(root, RootAttributes::OnEachLogin);
        }
        if let Some(hashing) = self.password_hashing {
            settings.password_hashing = hashing;
        }
        if let Some(limits) = self.limits {
            settings.limits = limits;
        }
        if let Some(config) = self.configuration {
            settings.config = config;
        }
        if let Some(datasources) = self.datasources {
            settings.datasources = datasources;
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateConnection {
    name: String,
    strategy: Option<String>,
    #[serde(default)]
    options: OptionsIn,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateConnection {
    #[serde(default)]
    options: OptionsIn,
}

/// 1 to 128 letters, digits, `-` or `_`.
fn check_name(name: &str) -> Result<(), ApiError> {
    let valid = (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid_body(format!(
            "name: must be 1 to 128 letters, digits, `-` or `_`, not {name:?}"
        )))
    }
}

async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require("read:connections")?;
    let connections = state.authbox.store().connections(&caller.tenant_id).await?;
    Ok(Json(Value::Array(connections.iter().map(shown).collect())))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:connections")?;
    let connection = state
        .authbox
        .store()
        .connection(&caller.tenant_id, &id)
        .await?;
    Ok(Json(shown(&connection)))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateConnection>,
) -> Result<Response, ApiError> {
    caller.require("create:connections")?;
    check_name(&body.name)?;
    if let Some(strategy) = body.strategy.filter(|s| s != "auth0") {
        return Err(ApiError::invalid_body(format!(
            "strategy: only `auth0` (a custom database) is served, not {strategy:?}"
        )));
    }
    body.options.check_sqlite(state.sqlite_dir.as_deref())?;
    let mut settings = ConnectionSettings::default();
    body.options.apply(&mut settings);
    let connection = state
        .authbox
        .create_connection(&caller.tenant_id, &body.name, &settings)
        .await?;
    Ok((StatusCode::CREATED, Json(shown(&connection))).into_response())
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateConnection>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:connections")?;
    let mut settings = state
        .authbox
        .store()
        .connection(&caller.tenant_id, &id)
        .await?
        .settings;
    body.options.check_sqlite(state.sqlite_dir.as_deref())?;
    body.options.apply(&mut settings);
    let connection = state
        .authbox
        .update_connection(&caller.tenant_id, &id, &settings)
        .await?;
    Ok(Json(shown(&connection)))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:connections")?;
    state
        .authbox
        .delete_connection(&caller.tenant_id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn version_json(version: &ScriptVersion) -> Value {
    serde_json::to_value(version).unwrap_or(Value::Null)
}

async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    WasmBody(wasm): WasmBody,
) -> Result<Response, ApiError> {
    caller.require("update:connections")?;
    let upload = state.authbox.upload_script(&caller.tenant_id, &id, &wasm);
    let version = tokio::time::timeout(UPLOAD_TIMEOUT, upload)
        .await
        .map_err(|_| {
            ApiError::invalid_body(format!(
                "the script took more than {} s to validate and compile",
                UPLOAD_TIMEOUT.as_secs()
            ))
        })??;
    Ok((StatusCode::CREATED, Json(version_json(&version))).into_response())
}

async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:connections")?;
    let store = state.authbox.store();
    let connection = store.connection(&caller.tenant_id, &id).await?;
    let versions = store.scripts(&connection.id).await?;
    Ok(Json(Value::Array(
        versions.iter().map(version_json).collect(),
    )))
}

async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, i64)>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:connections")?;
    state
        .authbox
        .activate_script(&caller.tenant_id, &id, version)
        .await?;
    let connection = state
        .authbox
        .store()
        .connection(&caller.tenant_id, &id)
        .await?;
    Ok(Json(shown(&connection)))
}

async fn try_action(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(call): JsonBody<ActionCall>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:connections")?;
    let report = state
        .authbox
        .try_action(&caller.tenant_id, &id, call)
        .await?;
    Ok(Json(serde_json::to_value(&report).unwrap_or(Value::Null)))
}
