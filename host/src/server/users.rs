//! `/api/v2/users`: the cached users of the caller's tenant, on Auth0's
//! paths and JSON shapes, with the library's semantics (field policy,
//! metadata merge, import mode).

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::AppState;
use super::auth::Caller;
use super::body::{JsonBody, ObjectBody};
use super::error::ApiError;
use crate::flows::LoginContext;
use crate::runtime::NewUser;
use crate::store::CachedUser;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/users", get(list).post(create))
        .route("/api/v2/users-by-email", get(by_email))
        .route("/api/v2/users/{id}", get(read).patch(update).delete(remove))
        .route("/api/v2/users/{id}/refresh", post(refresh))
}

fn shown(user: &CachedUser) -> Value {
    user.to_json()
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:users")?;
    let user = state.authbox.get_user(&caller.tenant_id, &id).await?;
    Ok(Json(shown(&user)))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(patch): ObjectBody,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:users")?;
    let user = state
        .authbox
        .update_user(&caller.tenant_id, &id, &patch)
        .await?;
    Ok(Json(shown(&user)))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require("delete:users")?;
    state.authbox.delete_user(&caller.tenant_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require("update:users")?;
    let user = state.authbox.refresh_user(&caller.tenant_id, &id).await?;
    Ok(Json(shown(&user)))
}

/// `POST /api/v2/users`: a signup through the connection.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    connection: String,
    email: String,
    password: String,
    username: Option<String>,
    phone_number: Option<String>,
    user_metadata: Option<Map<String, Value>>,
    app_metadata: Option<Map<String, Value>>,
}

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
    let created = state
        .authbox
        .signup(
            &caller.tenant_id,
            &body.connection,
            user,
            &LoginContext::default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(shown(&created))).into_response())
}

#[derive(Deserialize)]
struct ByEmail {
    email: String,
}

async fn by_email(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ByEmail>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:users")?;
    let users = state
        .authbox
        .users_by_email(&caller.tenant_id, &query.email)
        .await?;
    Ok(Json(Value::Array(users.iter().map(shown).collect())))
}

/// `GET /api/v2/users`: `q` is `email:"..."` or `identities.connection:"..."`.
#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    #[serde(default)]
    page: u32,
    #[serde(default = "default_per_page")]
    per_page: u32,
    #[serde(default)]
    include_totals: bool,
}

fn default_per_page() -> u32 {
    50
}

/// The most users one page may have (as Auth0).
const MAX_PER_PAGE: u32 = 100;

/// What a `q` asks for.
enum Search {
    Email(String),
    Connection(String),
}

fn search(q: &str) -> Result<Search, ApiError> {
    let (field, value) = q.split_once(':').ok_or_else(|| bad_query(q))?;
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_string();
    match field.trim() {
        "email" if !value.is_empty() => Ok(Search::Email(value)),
        "identities.connection" if !value.is_empty() => Ok(Search::Connection(value)),
        _ => Err(bad_query(q)),
    }
}

fn bad_query(q: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query_string",
        format!("Unsupported query `{q}`: use q=email:\"...\" or q=identities.connection:\"...\""),
    )
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:users")?;
    if !(1..=MAX_PER_PAGE).contains(&query.per_page) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query_string",
            format!("per_page must be from 1 to {MAX_PER_PAGE}"),
        ));
    }
    let q = query.q.as_deref().ok_or_else(|| bad_query(""))?;
    // A huge page is an empty one, not an overflow.
    let start = u64::from(query.page) * u64::from(query.per_page);
    let (users, total) = match search(q)? {
        Search::Email(email) => {
            let users = state
                .authbox
                .users_by_email(&caller.tenant_id, &email)
                .await?;
            let total = users.len() as u64;
            let start = usize::try_from(start).unwrap_or(usize::MAX);
            let page = users
                .into_iter()
                .skip(start)
                .take(query.per_page as usize)
                .collect();
            (page, total)
        }
        Search::Connection(name) => {
            state
                .authbox
                .users_of_connection(&caller.tenant_id, &name, query.page, query.per_page)
                .await?
        }
    };
    let users: Vec<Value> = users.iter().map(shown).collect();
    if !query.include_totals {
        return Ok(Json(Value::Array(users)));
    }
    Ok(Json(json!({
        "start": start,
        "limit": query.per_page,
        "length": users.len(),
        "total": total,
        "users": users,
    })))
}
