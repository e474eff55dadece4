//! `/api/v2/users`: the cached users of the caller's tenant, on Auth0's
//! paths and JSON shapes, with the library's semantics (field policy,
//! metadata merge, import mode).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::body::{JsonBody, ObjectBody};
use super::error::{ApiError, ErrorBody, KeyRefused};
use super::fields::Fields;
use super::params::{PathParams, QueryParams, invalid_query, page_size};
use authbox::flows::{LoginContext, RootAttributes};
use authbox::runtime::NewUser;
use authbox::search::{self, Query, Term, TextMatch, UserSearch};
use authbox::store::UserJson;

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(by_email))
        .routes(routes!(read, update, remove))
        .routes(routes!(refresh))
}

/// A user of the key's tenant.
#[utoipa::path(
    get,
    path = "/api/v2/users/{id}",
    operation_id = "get_user",
    tag = "users",
    params(("id" = String, Path, description = "The user's `user_id`."), FieldsQuery),
    security(("api_key" = ["read:users"])),
    responses(
        (status = 200, body = UserJson, description = "The cached profile (only the chosen `fields`)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such user in the key's tenant."),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:users")?;
    let user = state.authbox.get_user(&caller.tenant_id, &id).await?;
    let fields = Fields::new(query.fields.as_deref(), query.include_fields);
    Ok(Json(fields.apply(&UserJson::from(&user))))
}

/// Auth0's `fields` and `include_fields`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FieldsQuery {
    /// Comma-separated properties to answer (or, with `include_fields=false`, to leave out).
    fields: Option<String>,
    /// Whether `fields` are the ones kept (true, the default) or left out.
    include_fields: Option<bool>,
}

/// Changes a user, as the field policy allows (docs/behaviour.md §4): `user_metadata` and
/// `app_metadata` are merged (a `null` value removes a key), `blocked`
/// always; root attributes of a user not migrated belong to the legacy
/// database and are refused, naming them.
#[utoipa::path(
    patch,
    path = "/api/v2/users/{id}",
    operation_id = "update_user",
    tag = "users",
    params(("id" = String, Path, description = "The user's `user_id`.")),
    request_body(content = Object, description = "The attributes to change.", example = json!({"user_metadata": {"theme": "dark"}})),
    security(("api_key" = ["update:users"])),
    responses(
        (status = 200, body = UserJson, description = "The user as changed."),
        (status = 400, body = ErrorBody, description = "Malformed body, or attributes the policy refuses (named)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such user in the key's tenant."),
        (status = 409, body = ErrorBody, description = "Another user of the connection has that email or username."),
        (status = 413, body = ErrorBody, description = "The body is over 1 MiB."),
    )
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(patch): ObjectBody,
) -> Result<Json<UserJson>, ApiError> {
    caller.require("update:users")?;
    let user = state
        .authbox
        .update_user(&caller.tenant_id, &id, &patch)
        .await?;
    Ok(Json(UserJson::from(&user)))
}

/// Deletes a user through the connection's `delete` script, then from the
/// cache (a migrated user: from authbox only).
#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}",
    operation_id = "delete_user",
    tag = "users",
    params(("id" = String, Path, description = "The user's `user_id`.")),
    security(("api_key" = ["delete:users"])),
    responses(
        (status = 204, description = "Deleted."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such user in the key's tenant."),
    )
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:users")?;
    state.authbox.delete_user(&caller.tenant_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// authbox's own: re-reads the user from the legacy database (`get-user`)
/// and caches what it answers.
#[utoipa::path(
    post,
    path = "/api/v2/users/{id}/refresh",
    operation_id = "refresh_user",
    tag = "users",
    params(("id" = String, Path, description = "The user's `user_id`.")),
    security(("api_key" = ["update:users"])),
    responses(
        (status = 200, body = UserJson, description = "The refreshed profile."),
        (status = 400, body = ErrorBody, description = "The user is migrated, or the script has no `get-user`."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such user, or the legacy database no longer has it."),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<UserJson>, ApiError> {
    caller.require("update:users")?;
    let user = state.authbox.refresh_user(&caller.tenant_id, &id).await?;
    Ok(Json(UserJson::from(&user)))
}

/// `POST /api/v2/users`: a signup through the connection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    /// The connection's name.
    connection: String,
    email: String,
    password: String,
    username: Option<String>,
    /// E.164.
    phone_number: Option<String>,
    user_metadata: Option<Map<String, Value>>,
    app_metadata: Option<Map<String, Value>>,
    // The root attributes, as in the signup's `RootAttributesJson`: here, not
    // flattened, for the document to keep `additionalProperties: false`
    // (a flattened struct becomes an `allOf`, which drops it).
    #[schema(nullable = false, min_length = 1, max_length = 150)]
    given_name: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 150)]
    family_name: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 150)]
    name: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    nickname: Option<String>,
    /// An absolute http(s) URL.
    #[schema(nullable = false, pattern = "^https?://")]
    picture: Option<String>,
}

/// Signs a user up through the connection's `create` script (in import
/// mode: in authbox only), then caches the user.
#[utoipa::path(
    post,
    path = "/api/v2/users",
    operation_id = "create_user",
    tag = "users",
    request_body = CreateUser,
    security(("api_key" = ["create:users"])),
    responses(
        (status = 201, body = UserJson, description = "Created."),
        (status = 400, body = ErrorBody, description = "Malformed body or invalid attribute (named)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
        (status = 409, body = ErrorBody, description = "The user already exists."),
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<Response, ApiError> {
    caller.require("create:users")?;
    let user = NewUser {
        email: body.email,
        password: body.password,
        username: body.username,
        phone_number: body.phone_number,
        user_metadata: body.user_metadata,
        app_metadata: body.app_metadata,
    };
    let root = RootAttributes {
        given_name: body.given_name,
        family_name: body.family_name,
        name: body.name,
        nickname: body.nickname,
        picture: body.picture,
    };
    let created = state
        .authbox
        .signup(
            &caller.tenant_id,
            &body.connection,
            user,
            &root,
            &LoginContext::default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserJson::from(&created))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ByEmail {
    /// Matched in any case.
    #[param(min_length = 1)]
    email: String,
}

/// The tenant's users with this email, in every connection.
#[utoipa::path(
    get,
    path = "/api/v2/users-by-email",
    operation_id = "users_by_email",
    tag = "users",
    params(ByEmail),
    security(("api_key" = ["read:users"])),
    responses(
        (status = 200, body = Vec<UserJson>, description = "The users (maybe none)."),
        (status = 400, body = ErrorBody, description = "No `email`."),
        KeyRefused,
    )
)]
async fn by_email(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ByEmail>,
) -> Result<Json<Vec<UserJson>>, ApiError> {
    caller.require("read:users")?;
    let users = state
        .authbox
        .users_by_email(&caller.tenant_id, &query.email)
        .await?;
    Ok(Json(users.iter().map(UserJson::from).collect::<Vec<_>>()))
}

/// `GET /api/v2/users`: Auth0's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// A search in Auth0's query syntax (search engine v3), e.g.
    /// `email:"ada@example.com"`, `name:ada*`, `logins_count:[2 TO *]`,
    /// `app_metadata.plan:gold AND NOT blocked:true`; none lists every user.
    q: Option<String>,
    /// The page, from 0. As in Auth0, only the first 1,000 users found can
    /// be paged through: a page that starts past them is 400 `invalid_paging`
    /// (export the users with a job instead).
    #[serde(default)]
    page: u32,
    /// Users per page, 1 to 100 (50).
    #[serde(default = "default_per_page")]
    #[param(default = 50, minimum = 1, maximum = 100)]
    per_page: u32,
    /// Answer `{start, limit, length, total, users}` instead of an array;
    /// `total` counts the users found up to 1,000, as Auth0.
    #[serde(default)]
    include_totals: bool,
    /// `field:1` (ascending) or `field:-1` (descending), e.g. `created_at:-1`.
    #[param(
        pattern = "^(email|user_id|name|nickname|username|given_name|family_name|created_at|updated_at|last_login|logins_count):-?1$"
    )]
    sort: Option<String>,
    /// Only the users of this connection (by name).
    connection: Option<String>,
    /// Comma-separated properties to answer (or, with `include_fields=false`, to leave out).
    fields: Option<String>,
    /// Whether `fields` are the ones kept (true, the default) or left out.
    include_fields: Option<bool>,
    /// `v3` (the only engine; `v1` and `v2` are refused).
    #[param(pattern = "^v3$")]
    search_engine: Option<String>,
    /// Accepted for Auth0's SDKs; the order is `sort`'s.
    #[allow(dead_code)] // Accepted so that the SDKs' requests are valid.
    primary_order: Option<bool>,
}

/// A page of users: an array, or with its totals.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // The document's schema; answers are built as JSON (`fields`).
enum UserList {
    Users(Vec<UserJson>),
    WithTotals(UserPage),
}

/// A page with its totals (`include_totals=true`).
#[derive(Serialize, ToSchema)]
struct UserPage {
    start: u64,
    limit: u32,
    length: usize,
    total: u64,
    users: Vec<UserJson>,
}

fn default_per_page() -> u32 {
    50
}

impl ListQuery {
    /// The search these parameters ask for.
    fn search(&self) -> Result<UserSearch, ApiError> {
        page_size("per_page", Some(self.per_page))?;
        if let Some(engine) = self.search_engine.as_deref().filter(|e| *e != "v3") {
            return Err(invalid_query(format!(
                "search_engine `{engine}` is not supported: authbox searches as v3"
            )));
        }
        let mut all = Vec::new();
        if let Some(q) = self.q.as_deref().filter(|q| !q.trim().is_empty()) {
            all.push(search::parse(q).map_err(invalid_query)?);
        }
        if let Some(connection) = &self.connection {
            all.push(Query::Term(Term::Connection(TextMatch::Exact(
                connection.clone(),
            ))));
        }
        let query = match all.len() {
            0 => None,
            1 => all.pop(),
            _ => Some(Query::And(all)),
        };
        let sort = self
            .sort
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(invalid_query)?;
        Ok(UserSearch {
            query,
            sort,
            page: self.page,
            per_page: self.per_page,
            include_totals: self.include_totals,
        })
    }
}

/// Lists or searches the tenant's cached users, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v2/users",
    operation_id = "list_users",
    tag = "users",
    params(ListQuery),
    security(("api_key" = ["read:users"])),
    responses(
        (status = 200, body = UserList, description = "The page: an array, or an object with the totals when `include_totals=true`."),
        (status = 400, body = ErrorBody, description = "A query, sort or page that is not supported, naming what."),
        KeyRefused,
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:users")?;
    let search = query.search()?;
    let (users, total) = state
        .authbox
        .search_users(&caller.tenant_id, &search)
        .await?;
    let fields = Fields::new(query.fields.as_deref(), query.include_fields);
    let users: Vec<UserJson> = users.iter().map(UserJson::from).collect();
    let users = fields.apply_all(&users);
    let Some(total) = total else {
        return Ok(Json(Value::Array(users)));
    };
    Ok(Json(serde_json::json!({
        "start": search.start(),
        "limit": search.per_page,
        "length": users.len(),
        "total": total,
        "users": users,
    })))
}
