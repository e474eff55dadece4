//! `/api/v2/connections`: a tenant's connections, their settings (the
//! configuration values and data-source URLs are write-only: never
//! answered), their script versions, and "try" (one action of the active
//! script, answered as `authbox run --json` prints it).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::body::{JsonBody, WasmBody};
use super::error::{ApiError, ErrorBody, KeyRefused};
use super::fields::Fields;
use super::params::{PathParams, QueryParams, page_size};
use authbox::runtime::capabilities::sql::DataSourceUrl;
use authbox::runtime::report::Report;
use authbox::runtime::{Action, ActionCall, JsSources};
use authbox::store::{
    Connection, ConnectionLimits, ConnectionSettings, PasswordHashing, ScriptVersion,
};

/// How long validating and compiling an uploaded script may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// The routes, each documented in the OpenAPI document; `max_script_bytes`
/// caps an upload.
pub fn routes(max_script_bytes: usize) -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(max_script_bytes));
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
        .routes(routes!(versions))
        .routes(routes!(activate))
        .routes(routes!(try_action))
        .merge(uploads)
}

/// A connection as answered: secrets by name only.
#[derive(Serialize, ToSchema)]
#[schema(as = Connection)]
struct ConnectionJson {
    id: String,
    name: String,
    /// Always `auth0` (a custom database).
    strategy: &'static str,
    /// The connection's name: the `realm` of a password-realm login.
    realms: [String; 1],
    options: OptionsOut,
    /// The active script's version; none before the first upload.
    active_script_version: Option<i64>,
    /// RFC 3339.
    created_at: String,
    /// RFC 3339.
    updated_at: String,
}

/// A connection's options as answered.
#[derive(Serialize, ToSchema)]
struct OptionsOut {
    import_mode: bool,
    set_user_root_attributes: RootAttributes,
    password_hashing: PasswordHashing,
    limits: ConnectionLimits,
    /// The names of the configuration values (the values are write-only).
    configuration_keys: Vec<String>,
    /// The names of the data sources (their URLs are write-only).
    datasource_names: Vec<String>,
    /// The origins the scripts may send HTTP requests to; empty: none.
    allowed_hosts: Vec<String>,
    /// Always true: the scripts are the tenant's (a custom database).
    #[serde(rename = "enabledDatabaseCustomization")]
    enabled_database_customization: bool,
    /// The active script's JavaScript, by Auth0's action name (`login`,
    /// `get_user`, ...); absent when the active script is a component or
    /// there is none.
    #[serde(rename = "customScripts", skip_serializing_if = "Option::is_none")]
    custom_scripts: Option<BTreeMap<String, String>>,
}

/// A connection as answered, with its active JavaScript (if any).
async fn shown_with_scripts(
    state: &AppState,
    tenant_id: &str,
    connection: &Connection,
) -> Result<ConnectionJson, ApiError> {
    let scripts = state
        .authbox
        .active_javascript(tenant_id, &connection.id)
        .await?;
    let mut json = shown(connection);
    json.options.custom_scripts = scripts.map(|sources| {
        sources
            .iter()
            .map(|(action, source)| (action.auth0_name().to_owned(), source.to_owned()))
            .collect()
    });
    Ok(json)
}

fn shown(connection: &Connection) -> ConnectionJson {
    let settings = &connection.settings;
    ConnectionJson {
        id: connection.id.clone(),
        name: connection.name.clone(),
        strategy: "auth0",
        realms: [connection.name.clone()],
        options: OptionsOut {
            import_mode: settings.import_mode,
            set_user_root_attributes: if settings.sync_root_attributes {
                RootAttributes::OnEachLogin
            } else {
                RootAttributes::OnFirstLogin
            },
            password_hashing: settings.password_hashing,
            limits: settings.limits,
            configuration_keys: settings.config.keys().cloned().collect(),
            datasource_names: settings.datasources.keys().cloned().collect(),
            allowed_hosts: settings.allowed_hosts.clone(),
            enabled_database_customization: true,
            custom_scripts: None,
        },
        active_script_version: connection.active_version,
        created_at: connection.created_at.clone(),
        updated_at: connection.updated_at.clone(),
    }
}

/// When the root attributes of a cached profile are refreshed from what the
/// script returns.
#[derive(Serialize, Deserialize, Clone, Copy, ToSchema)]
#[serde(rename_all = "snake_case")]
enum RootAttributes {
    OnEachLogin,
    OnFirstLogin,
}

/// `options` of a create or update: what is given replaces what was.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct OptionsIn {
    /// Import mode (automatic migration).
    import_mode: Option<bool>,
    set_user_root_attributes: Option<RootAttributes>,
    /// The hash import mode keeps of a migrated user's password.
    password_hashing: Option<PasswordHashing>,
    limits: Option<ConnectionLimits>,
    /// Values the script reads with `config::get` (write-only).
    configuration: Option<BTreeMap<String, String>>,
    /// Name to database URL, for the `sql` capability (write-only).
    datasources: Option<BTreeMap<String, String>>,
    /// The origins the scripts may send HTTP requests to (`wasi:http`):
    /// `HOST`, `*.DOMAIN`, `HOST:PORT`, or `http://HOST[:PORT]` for plain
    /// HTTP; HTTPS and the default port otherwise. Empty: no network.
    allowed_hosts: Option<Vec<String>>,
    /// Accepted for Auth0's tools; a custom database always runs its scripts.
    #[serde(rename = "enabledDatabaseCustomization")]
    enabled_database_customization: Option<bool>,
    /// JavaScript, as Auth0 takes it: Auth0's action name (`login`,
    /// `get_user`, `create`, `verify`, `change_password`, `delete`,
    /// `change_email`) to the source of its function. Given, it becomes a
    /// new script version (the whole set: actions left out are gone).
    #[serde(rename = "customScripts")]
    #[schema(value_type = Option<CustomScripts>)]
    custom_scripts: Option<BTreeMap<String, String>>,
}

/// `customScripts` as the document describes it: a source per action.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CustomScripts {
    /// Required with any other.
    login: String,
    /// Required with any other.
    get_user: String,
    #[serde(default)]
    create: String,
    #[serde(default)]
    verify: String,
    #[serde(default)]
    change_password: String,
    #[serde(default)]
    delete: String,
    #[serde(default)]
    change_email: String,
}

impl OptionsIn {
    /// `customScripts` as JavaScript sources, each name checked.
    fn javascript(&mut self) -> Result<Option<JsSources>, ApiError> {
        let Some(scripts) = self.custom_scripts.take() else {
            return Ok(None);
        };
        if self.enabled_database_customization == Some(false) {
            return Err(ApiError::invalid_body(
                "options.enabledDatabaseCustomization: a custom database always runs its scripts; leave it out or set it to true",
            ));
        }
        let mut sources = JsSources::new();
        for (name, source) in scripts {
            let action = Action::from_auth0_name(&name).ok_or_else(|| {
                ApiError::invalid_body(format!(
                    "options.customScripts.{name}: not an action authbox runs (it runs {})",
                    Action::ALL.map(Action::auth0_name).join(", ")
                ))
            })?;
            sources.insert(action, source);
        }
        Ok(Some(sources))
    }

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
        if let Some(allowed_hosts) = self.allowed_hosts {
            settings.allowed_hosts = allowed_hosts;
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateConnection {
    /// 1 to 128 letters, digits, `-` or `_`; unique in the tenant.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,128}$")]
    name: String,
    /// `auth0` (the only one served) if given.
    strategy: Option<String>,
    #[serde(default)]
    options: OptionsIn,
}

#[derive(Deserialize, ToSchema)]
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

/// `GET /api/v2/connections`: Auth0's parameters. `from`/`take` page by
/// checkpoint, `page`/`per_page` by offset.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Where a checkpoint page starts: the `next` of the previous page.
    from: Option<String>,
    /// Connections per checkpoint page, 1 to 100 (50).
    #[param(minimum = 1, maximum = 100)]
    take: Option<u32>,
    /// The offset page, from 0.
    page: Option<u32>,
    /// Connections per offset page, 1 to 100 (50).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
    /// Answer `{start, limit, total, connections}` instead of an array.
    #[serde(default)]
    include_totals: bool,
    /// Only connections of this strategy (all are `auth0`).
    strategy: Option<String>,
    /// Only the connection of this name.
    name: Option<String>,
    /// Comma-separated properties to answer (or, with `include_fields=false`, to leave out).
    fields: Option<String>,
    /// Whether `fields` are the ones kept (true, the default) or left out.
    include_fields: Option<bool>,
}

/// A page of connections: an array, with offset totals, or a checkpoint page.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // The document's schema; answers are built as JSON (`fields`).
enum ConnectionList {
    Connections(Vec<ConnectionJson>),
    WithTotals(ConnectionsWithTotals),
    Checkpoint(ConnectionsFromCheckpoint),
}

/// An offset page with its totals (`include_totals=true`). Its properties
/// are these alone, so that no answer fits two shapes of the list.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConnectionsWithTotals {
    start: u64,
    limit: u32,
    total: u64,
    connections: Vec<ConnectionJson>,
}

/// A checkpoint page (`from`, `take`).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConnectionsFromCheckpoint {
    connections: Vec<ConnectionJson>,
    /// Absent on the last page.
    next: Option<String>,
}

/// The key's tenant's connections, by name.
#[utoipa::path(
    get,
    path = "/api/v2/connections",
    operation_id = "list_connections",
    tag = "connections",
    params(ListQuery),
    security(("api_key" = ["read:connections"])),
    responses(
        (status = 200, body = ConnectionList, description = "The connections: an array; `{start, limit, total, connections}` with `include_totals=true`; `{connections, next}` with `from` or `take` (`next` absent on the last page)."),
        (status = 400, body = ErrorBody, description = "A page size out of range."),
        KeyRefused,
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:connections")?;
    let mut connections = state.authbox.connections(&caller.tenant_id).await?;
    // In byte order, as checkpoints compare (a PostgreSQL store may sort
    // names in another collation).
    connections.sort_by(|a, b| a.name.cmp(&b.name));
    connections.retain(|c| {
        query.strategy.as_deref().is_none_or(|s| s == "auth0")
            && query.name.as_deref().is_none_or(|n| n == c.name)
    });
    let fields = Fields::new(query.fields.as_deref(), query.include_fields);
    if query.from.is_some() || query.take.is_some() {
        let take = page_size("take", query.take)? as usize;
        let after = query.from.as_deref();
        let rest: Vec<&Connection> = connections
            .iter()
            .filter(|c| after.is_none_or(|after| c.name.as_str() > after))
            .collect();
        let page = &rest[..take.min(rest.len())];
        // Connections are listed by name: a page's `next` is its last
        // connection's name (names are URL-safe), and any `from` is a place
        // in that order.
        let next = (rest.len() > take).then(|| page[take - 1].name.clone());
        let shown = render(&state, &caller.tenant_id, page.iter().copied(), &fields).await?;
        let mut answer = serde_json::json!({ "connections": shown });
        if let Some(next) = next {
            answer["next"] = Value::String(next);
        }
        return Ok(Json(answer));
    }
    let total = connections.len();
    let (start, limit) = match (query.page, query.per_page) {
        (None, None) => (0, total.max(1)),
        (page, per_page) => {
            let limit = page_size("per_page", per_page)? as usize;
            (page.unwrap_or(0) as usize * limit, limit)
        }
    };
    let page = connections.iter().skip(start).take(limit);
    let shown = render(&state, &caller.tenant_id, page, &fields).await?;
    if !query.include_totals {
        return Ok(Json(Value::Array(shown)));
    }
    Ok(Json(serde_json::json!({
        "start": start,
        "limit": limit,
        "total": total,
        "connections": shown,
    })))
}

/// `connections` as answered, with only the chosen `fields`.
async fn render<'c>(
    state: &AppState,
    tenant_id: &str,
    connections: impl Iterator<Item = &'c Connection>,
    fields: &Fields,
) -> Result<Vec<Value>, ApiError> {
    let mut shown = Vec::new();
    for connection in connections {
        shown.push(fields.apply(&shown_with_scripts(state, tenant_id, connection).await?));
    }
    Ok(shown)
}

/// A connection (its secrets by name only).
#[utoipa::path(
    get,
    path = "/api/v2/connections/{id}",
    operation_id = "get_connection",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id.")),
    security(("api_key" = ["read:connections"])),
    responses(
        (status = 200, body = ConnectionJson, description = "The connection."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<ConnectionJson>, ApiError> {
    caller.require("read:connections")?;
    let connection = state.authbox.connection(&caller.tenant_id, &id).await?;
    Ok(Json(
        shown_with_scripts(&state, &caller.tenant_id, &connection).await?,
    ))
}

/// Creates a connection.
#[utoipa::path(
    post,
    path = "/api/v2/connections",
    operation_id = "create_connection",
    tag = "connections",
    request_body = CreateConnection,
    security(("api_key" = ["create:connections"])),
    responses(
        (status = 201, body = ConnectionJson, description = "Created (with no script yet)."),
        (status = 400, body = ErrorBody, description = "Malformed body or invalid option (named)."),
        KeyRefused,
        (status = 409, body = ErrorBody, description = "The tenant has a connection of that name."),
    )
)]
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
    let mut options = body.options;
    options.check_sqlite(state.sqlite_dir.as_deref())?;
    let javascript = options.javascript()?.map(|sources| sources.to_bytes());
    if let Some(script) = &javascript {
        state.authbox.check_script(&body.name, script).await?;
    }
    let mut settings = ConnectionSettings::default();
    options.apply(&mut settings);
    let connection = state
        .authbox
        .create_connection(&caller.tenant_id, &body.name, &settings)
        .await?;
    if let Some(script) = &javascript
        && let Err(e) = upload_in_time(&state, &caller.tenant_id, &connection.id, script).await
    {
        // Nothing half-made: the connection goes with its script.
        state
            .authbox
            .delete_connection(&caller.tenant_id, &connection.id)
            .await?;
        return Err(e);
    }
    let answered = shown_with_scripts(&state, &caller.tenant_id, &connection).await?;
    Ok((StatusCode::CREATED, Json(answered)).into_response())
}

/// Changes a connection's options: each option given replaces the old one.
#[utoipa::path(
    patch,
    path = "/api/v2/connections/{id}",
    operation_id = "update_connection",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id.")),
    request_body = UpdateConnection,
    security(("api_key" = ["update:connections"])),
    responses(
        (status = 200, body = ConnectionJson, description = "The connection as changed."),
        (status = 400, body = ErrorBody, description = "Malformed body or invalid option (named)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
    )
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<UpdateConnection>,
) -> Result<Json<ConnectionJson>, ApiError> {
    caller.require("update:connections")?;
    let mut settings = state
        .authbox
        .connection(&caller.tenant_id, &id)
        .await?
        .settings;
    let mut options = body.options;
    options.check_sqlite(state.sqlite_dir.as_deref())?;
    let javascript = options.javascript()?.map(|sources| sources.to_bytes());
    if let Some(script) = &javascript {
        let name = state.authbox.connection(&caller.tenant_id, &id).await?.name;
        state.authbox.check_script(&name, script).await?;
    }
    options.apply(&mut settings);
    let mut connection = state
        .authbox
        .update_connection(&caller.tenant_id, &id, &settings)
        .await?;
    if let Some(script) = &javascript {
        upload_in_time(&state, &caller.tenant_id, &id, script).await?;
        connection = state.authbox.connection(&caller.tenant_id, &id).await?;
    }
    Ok(Json(
        shown_with_scripts(&state, &caller.tenant_id, &connection).await?,
    ))
}

/// Deletes a connection, its scripts and its cached users.
#[utoipa::path(
    delete,
    path = "/api/v2/connections/{id}",
    operation_id = "delete_connection",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id.")),
    security(("api_key" = ["delete:connections"])),
    responses(
        (status = 204, description = "Deleted, with its scripts and cached users."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
    )
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:connections")?;
    state
        .authbox
        .delete_connection(&caller.tenant_id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Uploads a script: it becomes the active version.
#[utoipa::path(
    put,
    path = "/api/v2/connections/{id}/script",
    operation_id = "upload_script",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id.")),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "A component of the `authbox:script` world."),
    security(("api_key" = ["update:connections"])),
    responses(
        (status = 201, body = ScriptVersion, description = "Validated, compiled and active."),
        (status = 400, body = ErrorBody, description = "Not a component of the world, or too slow to compile; the active script is unchanged."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
        (status = 413, body = ErrorBody, description = "Over the script size cap."),
        (status = 415, body = ErrorBody, description = "Not `application/wasm`."),
    )
)]
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    WasmBody(wasm): WasmBody,
) -> Result<Response, ApiError> {
    caller.require("update:connections")?;
    let version = upload_in_time(&state, &caller.tenant_id, &id, &wasm).await?;
    Ok((StatusCode::CREATED, Json(version)).into_response())
}

/// A new active script version, validated and compiled within
/// [`UPLOAD_TIMEOUT`].
async fn upload_in_time(
    state: &AppState,
    tenant_id: &str,
    connection_id: &str,
    script: &[u8],
) -> Result<ScriptVersion, ApiError> {
    let upload = state
        .authbox
        .upload_script(tenant_id, connection_id, script);
    tokio::time::timeout(UPLOAD_TIMEOUT, upload)
        .await
        .map_err(|_| {
            ApiError::invalid_body(format!(
                "the script took more than {} s to validate and compile",
                UPLOAD_TIMEOUT.as_secs()
            ))
        })?
        .map_err(ApiError::from)
}

/// The connection's script versions.
#[utoipa::path(
    get,
    path = "/api/v2/connections/{id}/scripts",
    operation_id = "list_scripts",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id.")),
    security(("api_key" = ["read:connections"])),
    responses(
        (status = 200, body = Vec<ScriptVersion>, description = "Every version, the active one marked."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
    )
)]
async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Vec<ScriptVersion>>, ApiError> {
    caller.require("read:connections")?;
    let versions = state.authbox.scripts(&caller.tenant_id, &id).await?;
    Ok(Json(versions))
}

/// Makes an earlier (or later) script version the active one: a rollback.
#[utoipa::path(
    post,
    path = "/api/v2/connections/{id}/scripts/{version}/activate",
    operation_id = "activate_script",
    tag = "connections",
    params(
        ("id" = String, Path, description = "The connection's id."),
        ("version" = i64, Path, description = "The version to make active."),
    ),
    security(("api_key" = ["update:connections"])),
    responses(
        (status = 200, body = ConnectionJson, description = "The connection, with that version active."),
        (status = 400, body = ErrorBody, description = "A version that is not a whole number (`invalid_uri`)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection or version."),
    )
)]
async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((id, version)): PathParams<(String, i64)>,
) -> Result<Json<ConnectionJson>, ApiError> {
    caller.require("update:connections")?;
    state
        .authbox
        .activate_script(&caller.tenant_id, &id, version)
        .await?;
    let connection = state.authbox.connection(&caller.tenant_id, &id).await?;
    Ok(Json(
        shown_with_scripts(&state, &caller.tenant_id, &connection).await?,
    ))
}

/// The body of "try": an action and its arguments (the document's schema;
/// the body is read as the runtime's `ActionCall`, which refuses any other
/// property).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum TryCall {
    /// `login(username-or-email, password)`.
    Login(TryLogin),
    /// `get-user(email)` or `verify(email)`.
    Email(TryEmail),
    /// `create(user)`.
    Create(TryCreate),
    /// `change-password(email, new-password)`.
    ChangePassword(TryChangePassword),
    /// `delete(user-id)`, the id without its provider prefix.
    Delete(TryDelete),
    /// `change-email(email, new-email, verified)`.
    ChangeEmail(TryChangeEmail),
}

/// The schema of an `action` that is one of `names`.
fn action_of(names: &[&str]) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(names.to_vec()))
        .build()
}

fn login_action() -> utoipa::openapi::Object {
    action_of(&["login"])
}

fn email_action() -> utoipa::openapi::Object {
    action_of(&["get-user", "verify"])
}

fn create_action() -> utoipa::openapi::Object {
    action_of(&["create"])
}

fn change_password_action() -> utoipa::openapi::Object {
    action_of(&["change-password"])
}

fn delete_action() -> utoipa::openapi::Object {
    action_of(&["delete"])
}

fn change_email_action() -> utoipa::openapi::Object {
    action_of(&["change-email"])
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TryLogin {
    #[schema(schema_with = login_action)]
    action: String,
    username: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TryEmail {
    #[schema(schema_with = email_action)]
    action: String,
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TryCreate {
    #[schema(schema_with = create_action)]
    action: String,
    email: String,
    password: String,
    #[schema(nullable = false)]
    username: Option<String>,
    #[schema(nullable = false)]
    phone_number: Option<String>,
    #[schema(nullable = false)]
    user_metadata: Option<serde_json::Map<String, Value>>,
    #[schema(nullable = false)]
    app_metadata: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TryChangePassword {
    #[schema(schema_with = change_password_action)]
    action: String,
    email: String,
    new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TryDelete {
    #[schema(schema_with = delete_action)]
    action: String,
    user_id: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TryChangeEmail {
    #[schema(schema_with = change_email_action)]
    action: String,
    email: String,
    new_email: String,
    #[serde(default)]
    verified: bool,
}

/// Runs one action of the active script, as Auth0's "Try" button does.
#[utoipa::path(
    post,
    path = "/api/v2/connections/{id}/try",
    operation_id = "try_action",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id.")),
    request_body(content = TryCall, description = "An action and its arguments.", example = json!({"action": "login", "username": "ada@example.com", "password": "correct horse"})),
    security(("api_key" = ["update:connections"])),
    responses(
        (status = 200, body = Object, description = "The report `authbox run --json` prints: outcome, normalized profile or error, stats, logs. Nothing is cached."),
        (status = 400, body = ErrorBody, description = "Unknown action, or a missing or unknown argument (named); or no script."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
    )
)]
async fn try_action(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(call): JsonBody<ActionCall>,
) -> Result<Json<Report>, ApiError> {
    caller.require("update:connections")?;
    let report = state
        .authbox
        .try_action(&caller.tenant_id, &id, call)
        .await?;
    Ok(Json(report))
}
