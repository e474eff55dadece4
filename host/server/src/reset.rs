//! The password-reset page a reset link opens: `GET /lo/reset?ticket=...`
//! shows a small server-rendered form, `POST /lo/reset` sets the new
//! password through the connection (once per ticket) and then shows that
//! it did, or sends the user to the ticket's `result_url`. The pages load
//! nothing, may not be framed, and tell the browser to send no referrer
//! (the link's token must not leak to another site) and to cache nothing.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use authbox::flows::{FlowError, LoginContext, TicketRefusal};
use authbox::runtime::Refusal;

/// The page's path.
const PATH: &str = "/lo/reset";

/// The reset page's URL on a server whose base URL is `issuer` (ending in `/`).
pub(super) fn page_url(issuer: &str) -> String {
    format!("{}{}", issuer.trim_end_matches('/'), PATH)
}

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(form, submit))
}

/// `text` made safe inside HTML text and attribute values.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page with `body` (already escaped), and the headers every page has.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}}\
         label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;box-sizing:border-box}}\
         button{{margin-top:1.5rem;padding:.6rem 1.2rem}}.error{{color:#b00020}}\
         </style></head><body><h1>{title}</h1>{body}</body></html>\n",
        title = escaped(title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response()
}

/// The form for `ticket`, naming the user, with an error if there is one.
fn form_page(status: StatusCode, ticket: &str, email: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escaped(e)))
        .unwrap_or_default();
    let body = format!(
        "<p>Choose a new password for <strong>{email}</strong>.</p>{error}\
         <form method=\"post\" action=\"{PATH}\">\
         <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
         <label>New password<input type=\"password\" name=\"password\" autocomplete=\"new-password\" required></label>\
         <label>Confirm it<input type=\"password\" name=\"confirm_password\" autocomplete=\"new-password\" required></label>\
         <button type=\"submit\">Change password</button></form>",
        email = escaped(email),
        ticket = escaped(ticket),
    );
    page(status, "Reset your password", &body)
}

/// The page of a ticket that cannot be used.
fn refused_page(refusal: TicketRefusal) -> Response {
    let status = match refusal {
        TicketRefusal::Unknown => StatusCode::NOT_FOUND,
        TicketRefusal::Used | TicketRefusal::Expired => StatusCode::GONE,
        TicketRefusal::TooMany | TicketRefusal::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
    };
    let text = format!(
        "<p class=\"error\">{}.</p><p>Ask for a new link.</p>",
        escaped(&capitalized(&refusal.to_string()))
    );
    page(status, "Password reset", &text)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A failure that is neither the ticket's nor the password's: logged, and
/// the user may try again (the ticket stays usable).
fn failed_page(error: &FlowError) -> Response {
    tracing::error!(error = %error, "a password reset failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Password reset",
        "<p class=\"error\">The password could not be changed. Try again in a moment.</p>",
    )
}

/// The reset page's query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TicketQuery {
    /// The ticket's token, from the link.
    ticket: Option<String>,
}

/// The reset form of a ticket (from a reset link).
#[utoipa::path(
    get,
    path = "/lo/reset",
    operation_id = "reset_form",
    tag = "authentication",
    params(TicketQuery),
    responses(
        (status = 200, body = String, content_type = "text/html", description = "The form."),
        (status = 404, body = String, content_type = "text/html", description = "No such ticket."),
        (status = 410, body = String, content_type = "text/html", description = "The ticket was used, or has expired."),
        (status = 500, body = String, content_type = "text/html", description = "The store failed."),
    )
)]
async fn form(State(state): State<AppState>, Query(query): Query<TicketQuery>) -> Response {
    let ticket = query.ticket.unwrap_or_default();
    match state.authbox.password_ticket(&ticket).await {
        Ok(found) => form_page(StatusCode::OK, &ticket, &found.email, None),
        Err(FlowError::Ticket(refusal)) => refused_page(refusal),
        Err(other) => failed_page(&other),
    }
}

/// The reset form, sent.
#[derive(Deserialize, ToSchema)]
struct ResetForm {
    /// The ticket's token.
    #[serde(default)]
    ticket: String,
    /// The new password.
    #[serde(default)]
    password: String,
    /// The new password again.
    #[serde(default)]
    confirm_password: String,
}

/// The form as a browser sends it; else the status and what to say (on a
/// page, never a bare text error: a person is reading).
fn read_form(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ResetForm, (StatusCode, &'static str)> {
    let unreadable = (StatusCode::BAD_REQUEST, "The form could not be read.");
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is larger than it can be.",
        ),
        _ => unreadable,
    })?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err((StatusCode::BAD_REQUEST, "The form was not sent as a form."));
    }
    serde_urlencoded::from_bytes(&body).map_err(|_| unreadable)
}

/// Sets the new password of a ticket's user, through its connection: once.
#[utoipa::path(
    post,
    path = "/lo/reset",
    operation_id = "reset_password",
    tag = "authentication",
    request_body(content = ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = String, content_type = "text/html", description = "Changed."),
        (status = 303, description = "Changed; to the ticket's `result_url`."),
        (status = 400, body = String, content_type = "text/html", description = "The form again: the passwords differ, are empty, or the connection refused the password (its message); or a page saying the body is not a form (`application/x-www-form-urlencoded`)."),
        (status = 404, body = String, content_type = "text/html", description = "No such ticket."),
        (status = 410, body = String, content_type = "text/html", description = "The ticket was used, or has expired."),
        (status = 413, body = String, content_type = "text/html", description = "The body is over 1 MiB."),
        (status = 500, body = String, content_type = "text/html", description = "The connection or the store failed; the ticket stays usable."),
    )
)]
async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let sent = match read_form(&headers, body) {
        Ok(sent) => sent,
        Err((status, why)) => {
            let text = format!("<p class=\"error\">{why}</p><p>Open the link again.</p>");
            return page(status, "Password reset", &text);
        }
    };
    let ticket = match state.authbox.password_ticket(&sent.ticket).await {
        Ok(ticket) => ticket,
        Err(FlowError::Ticket(refusal)) => return refused_page(refusal),
        Err(other) => return failed_page(&other),
    };
    let again = |error: &str| {
        form_page(
            StatusCode::BAD_REQUEST,
            &sent.ticket,
            &ticket.email,
            Some(error),
        )
    };
    if sent.password.is_empty() {
        return again("Enter a new password.");
    }
    if sent.password != sent.confirm_password {
        return again("The two passwords differ.");
    }
    let context = LoginContext {
        ip: Some(peer.ip().to_canonical().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ..LoginContext::default()
    };
    match state
        .authbox
        .use_password_ticket(&sent.ticket, &sent.password, &context)
        .await
    {
        Ok(used) => match used.result_url {
            Some(url) => Redirect::to(&url).into_response(),
            None => page(
                StatusCode::OK,
                "Password changed",
                "<p>Your password has been changed. You can log in with it now.</p>",
            ),
        },
        Err(FlowError::Ticket(refusal)) => refused_page(refusal),
        Err(FlowError::Refused(Refusal::Validation { message, .. })) => again(&message),
        Err(FlowError::Refused(Refusal::Unauthorized(message))) => again(&message),
        Err(other) => failed_page(&other),
    }
}
