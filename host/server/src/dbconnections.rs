//! The Authentication API's database endpoints, as Auth0 answers them:
//! `POST /dbconnections/signup` (through the connection's `create` script,
//! or authbox alone in import mode, as `POST /api/v2/users`) and
//! `POST /dbconnections/change_password` (a reset link for the user; the
//! same answer whether or not the connection knows the email). Both name the
//! application by `client_id` alone, as a browser does; failures in Auth0's
//! `{name, code, description, statusCode}` shape.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::json_or_form;
use super::error::with_retry_after;
use super::token::client_context;
use authbox::flows::{FlowError, LoginContext, RootAttributes, TicketRefusal};
use authbox::runtime::share::RETRY_AFTER;
use authbox::runtime::{NewUser, Refusal};
use authbox::store::{CachedUser, Client};

/// What `change_password` answers, known email or not (Auth0's words).
const RESET_SENT: &str = "We've just sent you an email to reset your password.";

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(change_password))
}

/// An error of the database endpoints, in Auth0's shape.
#[derive(Serialize, ToSchema)]
pub(super) struct DbError {
    /// `BadRequestError`, `UnauthorizedError`, `TooManyRequestsError` or
    /// `InternalServerError`.
    #[schema(example = "BadRequestError")]
    name: &'static str,
    /// `invalid_signup`, `user_exists`, `invalid_body`, `invalid_client`,
    /// `invalid_connection`, `operation_not_supported` (the connection has
    /// no script for it), `too_many_requests`, `too_many_attempts`,
    /// `server_error`.
    #[schema(example = "user_exists")]
    code: &'static str,
    #[schema(example = "The user already exists.")]
    description: String,
    #[serde(rename = "statusCode")]
    #[schema(example = 400)]
    status_code: u16,
    /// Seconds for the `Retry-After` of a 429, when the refusal knows them.
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl DbError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        let name = match status {
            StatusCode::UNAUTHORIZED => "UnauthorizedError",
            StatusCode::TOO_MANY_REQUESTS => "TooManyRequestsError",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLargeError",
            s if s.is_server_error() => "InternalServerError",
            _ => "BadRequestError",
        };
        DbError {
            name,
            code,
            description: description.into(),
            status_code: status.as_u16(),
            retry_after: None,
        }
    }

    fn bad(code: &'static str, description: impl Into<String>) -> Self {
        DbError::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// 500: the detail goes to the log, the answer has the request id.
    fn server_error(detail: impl std::fmt::Display, headers: &HeaderMap) -> Self {
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::error!(error = %detail, "database endpoint failed");
        DbError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("The request failed (request id {request_id})."),
        )
    }

    /// A flow's failure, as Auth0's database endpoints answer it.
    fn of(error: FlowError, headers: &HeaderMap) -> Self {
        let message = error.to_string();
        match error {
            FlowError::Refused(Refusal::UserExists) => {
                DbError::bad("user_exists", "The user already exists.")
            }
            FlowError::Refused(Refusal::Validation { message, .. }) => {
                DbError::bad("invalid_signup", message)
            }
            FlowError::NotFound(_) => DbError::bad("invalid_connection", message),
            FlowError::NotImplemented { .. } | FlowError::NoScript(_) => {
                DbError::bad("operation_not_supported", message)
            }
            FlowError::Busy(_) | FlowError::Ticket(TicketRefusal::TooMany) => {
                DbError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            }
            FlowError::Ticket(TicketRefusal::Throttled { retry_after_secs }) => DbError {
                retry_after: Some(retry_after_secs),
                ..DbError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            },
            FlowError::TooManyAttempts(_) => {
                DbError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
            }
            other => DbError::server_error(other, headers),
        }
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status_code).unwrap_or(StatusCode::BAD_REQUEST);
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| self.retry_after.unwrap_or(RETRY_AFTER.as_secs()));
        with_retry_after((status, Json(self)).into_response(), retry_after)
    }
}

/// The body's bytes, or the reason they are not there (over 1 MiB...).
fn readable(body: Result<Bytes, BytesRejection>) -> Result<Bytes, DbError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        DbError::new(status, "invalid_body", rejection.body_text())
    })
}

/// The application a public request names, and where the request came from.
async fn caller(
    state: &AppState,
    client_id: Option<&str>,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<(Client, LoginContext), DbError> {
    let client_id = client_id
        .ok_or_else(|| DbError::bad("invalid_body", "Missing required parameter: client_id"))?;
    let client = state
        .authbox
        .public_client(client_id)
        .await
        .map_err(|e| DbError::server_error(e, headers))?
        .ok_or_else(|| {
            DbError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Unknown client.",
            )
        })?;
    let context =
        client_context(&client, headers, peer.ip()).map_err(|e| DbError::bad("invalid_body", e))?;
    Ok((client, context))
}

/// A value the request must have.
fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, DbError> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| {
        DbError::bad(
            "invalid_body",
            format!("Missing required parameter: {name}"),
        )
    })
}

/// A signup, as Auth0's `POST /dbconnections/signup` takes it.
#[derive(Deserialize, ToSchema)]
struct SignupRequest {
    /// The application's id (names the tenant).
    #[schema(required = true, nullable = false, min_length = 1)]
    client_id: Option<String>,
    /// The database connection's name.
    #[schema(required = true, nullable = false, min_length = 1)]
    connection: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1)]
    email: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1)]
    password: Option<String>,
    #[schema(nullable = false)]
    username: Option<String>,
    #[schema(nullable = false)]
    phone_number: Option<String>,
    #[schema(nullable = false)]
    user_metadata: Option<Map<String, Value>>,
    /// Root attributes: kept by a connection in import mode, refused
    /// (`invalid_signup`) by one whose profiles come from its custom database.
    #[serde(flatten)]
    root: RootAttributesJson,
}

/// The root attributes a signup may name, as Auth0 takes them.
#[derive(Deserialize, ToSchema)]
struct RootAttributesJson {
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

impl From<RootAttributesJson> for RootAttributes {
    fn from(json: RootAttributesJson) -> Self {
        RootAttributes {
            given_name: json.given_name,
            family_name: json.family_name,
            name: json.name,
            nickname: json.nickname,
            picture: json.picture,
        }
    }
}

/// What a signup answers: the new user, as Auth0 shows it.
#[derive(Serialize, ToSchema)]
struct SignupAnswer {
    /// The user's id without the `auth0|` prefix.
    #[serde(rename = "_id")]
    id: String,
    email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    picture: Option<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    user_metadata: Map<String, Value>,
}

impl From<&CachedUser> for SignupAnswer {
    fn from(user: &CachedUser) -> Self {
        let text = |key: &str| {
            user.attributes
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let id = user
            .user_id
            .split_once('|')
            .map_or(user.user_id.as_str(), |(_, id)| id)
            .to_string();
        SignupAnswer {
            id,
            email_verified: user
                .attributes
                .get("email_verified")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            email: text("email"),
            username: text("username"),
            given_name: text("given_name"),
            family_name: text("family_name"),
            name: text("name"),
            nickname: text("nickname"),
            picture: text("picture"),
            user_metadata: user.user_metadata.clone(),
        }
    }
}

/// Signs a user up through the connection, as `POST /api/v2/users` does,
/// for an application's own signup form.
#[utoipa::path(
    post,
    path = "/dbconnections/signup",
    operation_id = "dbconnections_signup",
    tag = "authentication",
    request_body(content(
        (SignupRequest = "application/json"),
        (SignupRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, body = SignupAnswer, description = "Signed up."),
        (status = 400, body = DbError, description = "`invalid_body` (a parameter missing or malformed), `invalid_signup` (refused by the connection's script), `user_exists`, `invalid_connection`, `operation_not_supported` (no `create` script, import mode off)."),
        (status = 401, body = DbError, description = "`invalid_client`: no such application."),
        (status = 413, body = DbError, description = "The body is over 1 MiB."),
        (status = 429, body = DbError, description = "`too_many_requests`: the tenant has as many script calls in flight as it may (with `Retry-After`)."),
        (status = 500, body = DbError, description = "`server_error`, with the request id."),
    )
)]
async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SignupAnswer>, DbError> {
    let body = readable(body)?;
    let request: SignupRequest =
        json_or_form(&headers, &body).map_err(|e| DbError::bad("invalid_body", e))?;
    let (client, context) = caller(&state, request.client_id.as_deref(), &headers, peer).await?;
    let connection = required(&request.connection, "connection")?;
    let user = NewUser {
        email: required(&request.email, "email")?.to_string(),
        password: required(&request.password, "password")?.to_string(),
        username: request.username,
        phone_number: request.phone_number,
        user_metadata: request.user_metadata,
        app_metadata: None,
    };
    let user = state
        .authbox
        .signup(
            &client.tenant_id,
            connection,
            user,
            &request.root.into(),
            &context,
        )
        .await
        .map_err(|e| DbError::of(e, &headers))?;
    Ok(Json(SignupAnswer::from(&user)))
}

/// A change-password request, as Auth0's `POST /dbconnections/change_password` takes it.
#[derive(Deserialize, ToSchema)]
struct ChangePasswordRequest {
    /// The application's id (names the tenant).
    #[schema(required = true, nullable = false, min_length = 1)]
    client_id: Option<String>,
    /// The database connection's name.
    #[schema(required = true, nullable = false, min_length = 1)]
    connection: Option<String>,
    /// The user's email.
    #[schema(required = true, nullable = false, min_length = 1)]
    email: Option<String>,
    // `organization` is accepted and left out: authbox has no organizations.
}

/// Starts a password reset: if the connection knows the email (its cache,
/// else its `get-user` script), a single-use link valid for 5 days, mailed
/// through the operator's SMTP server (without one, it goes into the
/// tenant's log: `scpr`, `details.email.link`). The answer is the same whether or not the email is
/// known, so that it tells nobody who has an account; so are the limits on
/// requests per IP and email, and per IP.
#[utoipa::path(
    post,
    path = "/dbconnections/change_password",
    operation_id = "dbconnections_change_password",
    tag = "authentication",
    request_body(content(
        (ChangePasswordRequest = "application/json"),
        (ChangePasswordRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, body = String, content_type = "text/plain", description = "Asked (known email or not).", example = "We've just sent you an email to reset your password."),
        (status = 400, body = DbError, description = "`invalid_body` (a parameter missing or malformed), `invalid_connection`, `operation_not_supported` (no `get-user` script)."),
        (status = 429, body = DbError, description = "`too_many_requests` (with `Retry-After`, the seconds until the limit takes a request again): the caller's IP asked for this email 10 times, then more than once a minute (Auth0's limit), or for any email 60 times, then more than once a second (unless the tenant's suspicious-IP allow-list has it); or the tenant has as many script calls in flight as it may, or 10,000 live reset links."),
        (status = 401, body = DbError, description = "`invalid_client`: no such application."),
        (status = 413, body = DbError, description = "The body is over 1 MiB."),
        (status = 500, body = DbError, description = "`server_error`, with the request id."),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DbError> {
    let body = readable(body)?;
    let request: ChangePasswordRequest =
        json_or_form(&headers, &body).map_err(|e| DbError::bad("invalid_body", e))?;
    let (client, context) = caller(&state, request.client_id.as_deref(), &headers, peer).await?;
    let connection = required(&request.connection, "connection")?;
    let email = required(&request.email, "email")?;
    state
        .authbox
        .request_password_reset(
            &client.tenant_id,
            connection,
            email,
            &super::reset::page_url(&state.issuer),
            &context,
        )
        .await
        .map_err(|e| DbError::of(e, &headers))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        RESET_SENT,
    )
        .into_response())
}
