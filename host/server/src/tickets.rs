//! `POST /api/v2/tickets/password-change`: a password-reset link for a
//! user, made by the tenant's own service (Auth0's change-password ticket).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::body::JsonBody;
use super::error::{ApiError, ErrorBody, KeyRefused};
use authbox::flows::{DEFAULT_TICKET_TTL, MAX_TICKET_TTL, TicketFor};

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(password_change))
}

/// A ticket request, as Auth0 takes it: `user_id`, or `email` with
/// `connection_id`.
#[derive(Deserialize)]
struct PasswordChangeTicket {
    /// The cached user whose password the link resets.
    user_id: Option<String>,
    /// With `connection_id`: the connection's user with this email (known
    /// to authbox or not; the connection's scripts decide).
    email: Option<String>,
    /// The database connection of `email`.
    connection_id: Option<String>,
    /// Where the page sends the user after the reset.
    result_url: Option<String>,
    /// How long the link is valid, in seconds (0 or absent: 5 days; at
    /// most 30 days).
    ttl_sec: Option<u64>,
    /// Only `false` is supported: authbox does not mark emails verified
    /// on a reset.
    mark_email_as_verified: Option<bool>,
    // Auth0's `client_id`, `organization_id` and `includeEmailInRedirect`
    // are accepted and left out.
}

/// A new ticket.
#[derive(Serialize, ToSchema)]
struct TicketAnswer {
    /// The link: the reset page with the ticket's token.
    #[schema(example = "https://authbox.example.com/lo/reset?ticket=5f0c...")]
    ticket: String,
}

/// A ticket request as the document describes it: one of its two shapes
/// (the body is read as [`PasswordChangeTicket`], which names what is wrong).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum TicketRequest {
    ForUser(TicketForUser),
    ForEmail(TicketForEmail),
}

/// A ticket for a cached user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TicketForUser {
    /// The cached user whose password the link resets.
    user_id: String,
    /// Where the page sends the user after the reset.
    result_url: Option<String>,
    /// How long the link is valid, in seconds (0 or absent: 5 days).
    #[schema(maximum = 2_592_000)]
    ttl_sec: Option<u64>,
    /// Only `false`: authbox does not mark emails verified on a reset.
    #[schema(value_type = Option<NotVerified>)]
    mark_email_as_verified: Option<bool>,
}

/// A ticket for the connection's user with this email.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TicketForEmail {
    /// The user's email (known to authbox or not: the scripts decide).
    email: String,
    /// The database connection.
    connection_id: String,
    /// Where the page sends the user after the reset.
    result_url: Option<String>,
    /// How long the link is valid, in seconds (0 or absent: 5 days).
    #[schema(maximum = 2_592_000)]
    ttl_sec: Option<u64>,
    /// Only `false`: authbox does not mark emails verified on a reset.
    #[schema(value_type = Option<NotVerified>)]
    mark_email_as_verified: Option<bool>,
}

/// `false`, the only `mark_email_as_verified` authbox takes.
struct NotVerified;

impl utoipa::PartialSchema for NotVerified {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Boolean)
            .enum_values(Some([false]))
            .into()
    }
}

impl ToSchema for NotVerified {}

/// Creates a single-use password-reset link for a user of the tenant.
#[utoipa::path(
    post,
    path = "/api/v2/tickets/password-change",
    operation_id = "create_password_change_ticket",
    tag = "users",
    request_body = TicketRequest,
    security(("api_key" = ["create:user_tickets"])),
    responses(
        (status = 201, body = TicketAnswer, description = "Created."),
        (status = 400, body = ErrorBody, description = "Neither `user_id` nor `email` with `connection_id`, or both; `ttl_sec` over 30 days; `mark_email_as_verified` true; a malformed body."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such user or connection in the key's tenant."),
        (status = 429, body = ErrorBody, description = "`too_many_requests`: the tenant has 10,000 live reset links."),
    )
)]
async fn password_change(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<PasswordChangeTicket>,
) -> Result<Response, ApiError> {
    caller.require("create:user_tickets")?;
    let target = match (&body.user_id, &body.email, &body.connection_id) {
        (Some(user_id), None, None) => TicketFor::User(user_id),
        (None, Some(email), Some(connection_id)) => TicketFor::Email {
            connection_id,
            email,
        },
        _ => {
            return Err(ApiError::invalid_body(
                "Send either user_id, or email with connection_id.",
            ));
        }
    };
    if body.mark_email_as_verified == Some(true) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "operation_not_supported",
            "mark_email_as_verified: authbox does not mark emails verified on a reset.",
        ));
    }
    let ttl = match body.ttl_sec.unwrap_or(0) {
        0 => DEFAULT_TICKET_TTL,
        seconds => Duration::from_secs(seconds),
    };
    if ttl > MAX_TICKET_TTL {
        return Err(ApiError::invalid_body(format!(
            "ttl_sec: at most {} seconds (30 days)",
            MAX_TICKET_TTL.as_secs()
        )));
    }
    let ticket = state
        .authbox
        .create_password_ticket(&caller.tenant_id, target, ttl, body.result_url)
        .await?;
    let link = format!(
        "{}?ticket={}",
        super::reset::page_url(&state.issuer),
        ticket.token
    );
    Ok((StatusCode::CREATED, Json(TicketAnswer { ticket: link })).into_response())
}
