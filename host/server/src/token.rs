//! The Authentication API: `POST /oauth/token` (the resource-owner password
//! grants Auth0 offers for database connections), `GET /userinfo`, and
//! `GET /.well-known/jwks.json`. Failures as docs/behaviour.md §6 says, in OAuth's
//! `{"error", "error_description"}` shape.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::with_retry_after;
use authbox::flows::{FlowError, LoginContext};
use authbox::protection::Shield;
use authbox::runtime::Refusal;
use authbox::runtime::share::RETRY_AFTER;
use authbox::store::{CachedUser, Client, UserJson};

/// How long an id token is valid (Auth0's default: 10 hours).
const ID_TOKEN_SECONDS: u64 = 36_000;
/// How long an access token is valid (24 hours).
const ACCESS_TOKEN_SECONDS: u64 = 86_400;
/// The password-realm grant's name.
const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(userinfo))
        .routes(routes!(jwks))
}

/// An OAuth error answer.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Seconds, for a `Retry-After` header.
    retry_after: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }

    /// 429 `too_many_requests`, with `Retry-After`.
    fn too_many_requests(description: impl Into<String>) -> Self {
        OAuthError {
            retry_after: Some(RETRY_AFTER.as_secs()),
            ..OAuthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                description,
            )
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 500: the detail goes to the log, the answer has the request id.
    fn server_error(detail: impl std::fmt::Display, request_id: &str) -> Self {
        tracing::error!(error = %detail, "token request failed");
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("The login failed on the server (request id {request_id})."),
        )
    }
}

/// The JSON of an OAuth error answer.
#[derive(Serialize, ToSchema)]
struct OAuthErrorBody {
    /// `invalid_grant`, `unauthorized`, `invalid_client`, `invalid_request`,
    /// `unsupported_grant_type`, `too_many_requests`, `server_error` or
    /// `invalid_token`.
    #[schema(example = "invalid_grant")]
    error: &'static str,
    #[schema(example = "Wrong email or password.")]
    error_description: String,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.error,
            error_description: self.description,
        };
        with_retry_after((self.status, Json(body)).into_response(), self.retry_after)
    }
}

/// The body of a token request, as a form or as JSON.
#[derive(Deserialize, ToSchema)]
struct TokenRequest {
    /// `password` (the tenant's default connection) or
    /// `http://auth0.com/oauth/grant-type/password-realm`.
    grant_type: String,
    /// The email or username.
    username: Option<String>,
    password: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// The connection's name (password-realm).
    realm: Option<String>,
    // Other parameters (`audience`, `scope`...) are accepted and ignored, as
    // Auth0 does for parameters a grant does not use.
}

fn parse(headers: &HeaderMap, body: &Bytes) -> Result<TokenRequest, OAuthError> {
    super::body::json_or_form(headers, body).map_err(OAuthError::invalid_request)
}

/// A successful token answer.
#[derive(Serialize, ToSchema)]
struct TokenAnswer {
    /// For `GET /userinfo` (HS256; only authbox verifies it).
    access_token: String,
    /// RS256, verifiable with `/.well-known/jwks.json`; `aud` is the client.
    id_token: String,
    #[schema(example = "openid profile email")]
    scope: &'static str,
    /// Seconds the access token is valid.
    expires_in: u64,
    #[schema(example = "Bearer")]
    token_type: &'static str,
}

/// The OpenID profile claims of a cached user.
#[derive(Serialize, ToSchema)]
struct ProfileClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    email: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>)]
    email_verified: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    name: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    nickname: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    picture: Option<Value>,
    /// RFC 3339.
    updated_at: String,
}

impl From<&CachedUser> for ProfileClaims {
    fn from(user: &CachedUser) -> Self {
        let user = UserJson::from(user);
        ProfileClaims {
            email: user.email,
            email_verified: user.email_verified,
            name: user.name,
            nickname: user.nickname,
            picture: user.picture,
            updated_at: user.updated_at,
        }
    }
}

/// What `/userinfo` answers.
#[derive(Serialize, ToSchema)]
struct UserInfo {
    /// The user's `user_id`.
    sub: String,
    #[serde(flatten)]
    profile: ProfileClaims,
}

/// The claims of an id token.
#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    #[serde(flatten)]
    profile: ProfileClaims,
}

/// The claims of an access token (for `/userinfo`).
#[derive(Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    azp: String,
    scope: String,
    iat: u64,
    exp: u64,
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Logs a user in with a password (the resource-owner password grants
/// Auth0 offers for database connections). Failures as docs/behaviour.md §6:
/// 403 `invalid_grant` "Wrong email or password.", 401 `unauthorized` with
/// the script's message or "user is blocked", 500 `server_error` with the
/// request id.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "authentication",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, body = TokenAnswer, description = "Logged in."),
        (status = 400, body = OAuthErrorBody, description = "`invalid_request` or `unsupported_grant_type`."),
        (status = 401, body = OAuthErrorBody, description = "`invalid_client`, or `unauthorized` (refused by the script, or blocked)."),
        (status = 403, body = OAuthErrorBody, description = "`invalid_grant`: wrong email or password, or unknown connection."),
        (status = 413, body = OAuthErrorBody, description = "The body is over 1 MiB."),
        (status = 429, body = OAuthErrorBody, description = "`too_many_attempts`: the user is blocked after consecutive failed logins, or the IP is throttled (attack protection); `too_many_requests`: the tenant has as many script calls in flight as it may (with `Retry-After`)."),
        (status = 500, body = OAuthErrorBody, description = "`server_error`, with the request id."),
    )
)]
async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // An oversized or unreadable body answers in OAuth's shape too.
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let description = rejection.body_text();
            return OAuthError::new(rejection.status(), "invalid_request", description)
                .into_response();
        }
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match issue(&state, &headers, &body, peer.ip(), &request_id).await {
        Ok(answer) => answer.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn issue(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    peer: IpAddr,
    request_id: &str,
) -> Result<Json<TokenAnswer>, OAuthError> {
    let request = parse(headers, body)?;
    let (Some(client_id), Some(secret)) = (&request.client_id, &request.client_secret) else {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed: send client_id and client_secret.",
        ));
    };
    let client = state
        .authbox
        .client(client_id, secret)
        .await
        .map_err(|e| OAuthError::server_error(e, request_id))?
        .ok_or_else(|| {
            OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed.",
            )
        })?;
    let context = &client_context(&client, headers, peer).map_err(OAuthError::invalid_request)?;
    let tenant_id = client.tenant_id.as_str();
    let connection = match request.grant_type.as_str() {
        "password" => state
            .authbox
            .default_connection(tenant_id)
            .await
            .map_err(|e| match e {
                FlowError::NoDefaultConnection => OAuthError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "Authorization server not configured with default connection.",
                ),
                other => OAuthError::server_error(other, request_id),
            })?,
        PASSWORD_REALM => request
            .realm
            .clone()
            .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: realm"))?,
        other => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("Grant type '{other}' not allowed for the client."),
            ));
        }
    };
    let (Some(username), Some(password)) = (&request.username, &request.password) else {
        return Err(OAuthError::invalid_request(
            "Missing required parameter: username and password",
        ));
    };
    let user = state
        .authbox
        .login(tenant_id, &connection, username, password, context)
        .await
        .map_err(|e| login_error(e, request_id))?;
    let key = state
        .keys
        .for_tenant(&state.authbox, tenant_id)
        .await
        .map_err(|e| OAuthError::server_error(e, request_id))?;
    let iat = now_seconds();
    let issuer = state.issuer.as_str();
    let id_claims = IdClaims {
        iss: issuer,
        sub: &user.user_id,
        aud: &client.client_id,
        iat,
        exp: iat + ID_TOKEN_SECONDS,
        profile: ProfileClaims::from(&user),
    };
    let access_claims = AccessClaims {
        iss: issuer.to_string(),
        sub: user.user_id.clone(),
        aud: format!("{issuer}userinfo"),
        azp: client.client_id.clone(),
        scope: "openid profile email".into(),
        iat,
        exp: iat + ACCESS_TOKEN_SECONDS,
    };
    let id_token = key
        .sign_rs256(&id_claims)
        .map_err(|e| OAuthError::server_error(e, request_id))?;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    let access_token = jsonwebtoken::encode(&header, &access_claims, &key.access_encoding)
        .map_err(|e| OAuthError::server_error(e, request_id))?;
    Ok(Json(TokenAnswer {
        access_token,
        id_token,
        scope: "openid profile email",
        expires_in: ACCESS_TOKEN_SECONDS,
        token_type: "Bearer",
    }))
}

/// The header a trusted application names its end user's IP in (Auth0's).
const FORWARDED_FOR: &str = "auth0-forwarded-for";

/// Where an application's request came from: the end user's IP (the one
/// an application trusted to say it names in `auth0-forwarded-for`, else
/// the peer's, an IPv4 address mapped into IPv6 as the IPv4 address; an
/// untrusted application's header is ignored, so that a client cannot pick
/// the IP attack protection counts), user agent, and the application.
pub(super) fn client_context(
    client: &Client,
    headers: &HeaderMap,
    peer: IpAddr,
) -> Result<LoginContext, String> {
    let forwarded = headers
        .get(FORWARDED_FOR)
        .filter(|_| client.ip_header_trusted);
    let ip = match forwarded {
        None => peer,
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
            .ok_or_else(|| format!("{FORWARDED_FOR} must be one IP address"))?,
    };
    Ok(LoginContext {
        ip: Some(ip.to_canonical().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        client_id: Some(client.client_id.clone()),
        client_name: Some(client.name.clone()),
    })
}

/// What a failed login answers (docs/behaviour.md §6, §8).
fn login_error(error: FlowError, request_id: &str) -> OAuthError {
    match error {
        FlowError::Refused(refusal) => refusal.into(),
        FlowError::Blocked => {
            OAuthError::new(StatusCode::UNAUTHORIZED, "unauthorized", "user is blocked")
        }
        busy @ FlowError::Busy(_) => OAuthError::too_many_requests(busy.to_string()),
        FlowError::TooManyAttempts(shield) => OAuthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            match shield {
                Shield::BruteForce => {
                    "Your account has been blocked after multiple consecutive login attempts."
                }
                Shield::SuspiciousIp => {
                    "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator."
                }
            },
        ),
        FlowError::NotFound(what) => OAuthError::new(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            format!("Unknown connection: {what}"),
        ),
        other => OAuthError::server_error(other, request_id),
    }
}

/// A script's (or authbox's) no to a login, in OAuth's shape.
impl From<Refusal> for OAuthError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::WrongCredentials { .. } => OAuthError::new(
                StatusCode::FORBIDDEN,
                "invalid_grant",
                "Wrong email or password.",
            ),
            Refusal::Unauthorized(message) => {
                OAuthError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
            }
            // A login never asks for these; said plainly if a script answers one.
            Refusal::UserExists | Refusal::Validation { .. } => {
                OAuthError::invalid_request(refusal.to_string())
            }
        }
    }
}

/// The OpenID profile of the access token's user.
#[utoipa::path(
    get,
    path = "/userinfo",
    tag = "authentication",
    security(("access_token" = [])),
    responses(
        (status = 200, body = UserInfo, description = "The user's profile claims."),
        (status = 401, body = OAuthErrorBody, description = "`invalid_token`: missing, invalid or expired, or the user is gone."),
    )
)]
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let invalid = || {
        let error = OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Invalid or expired access token.",
        );
        (
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            error,
        )
            .into_response()
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return invalid();
    };
    let Some(kid) = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid) else {
        return invalid();
    };
    let Some(key) = state.keys.by_kid(&state.authbox, &kid).await else {
        return invalid();
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[format!("{}userinfo", state.issuer)]);
    validation.set_issuer(&[&state.issuer]);
    let Ok(claims) = jsonwebtoken::decode::<AccessClaims>(token, &key.access_decoding, &validation)
    else {
        return invalid();
    };
    match state
        .authbox
        .get_user(&key.tenant_id, &claims.claims.sub)
        .await
    {
        Ok(user) => Json(UserInfo {
            profile: ProfileClaims::from(&user),
            sub: user.user_id,
        })
        .into_response(),
        Err(_) => invalid(),
    }
}

/// The public keys of every tenant's id tokens (each `kid` names its tenant).
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "authentication",
    responses(
        (status = 200, body = Object, description = "`{\"keys\": [JWK...]}`: RS256 public keys."),
    )
)]
async fn jwks(State(state): State<AppState>) -> Response {
    match state.keys.jwks(&state.authbox).await {
        Ok(jwks) => Json(jwks).into_response(),
        Err(e) => OAuthError::server_error(e, "").into_response(),
    }
}
