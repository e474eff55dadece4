//! Errors in Auth0's Management API shape:
//! `{"statusCode", "error", "message", "errorCode"}`.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use authbox::flows::{FlowError, JobRefusal, TicketRefusal};
use authbox::management::{PolicyError, UpdateError};
use authbox::runtime::Refusal;
use authbox::runtime::share::RETRY_AFTER;
use authbox::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    code: &'static str,
    /// Seconds, for a `Retry-After` header.
    retry_after: Option<u64>,
}

impl ApiError {
    /// An answer with this status, message and `errorCode`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            code,
            retry_after: None,
        }
    }

    /// 429 `too_many_requests`, with `Retry-After`.
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        ApiError {
            retry_after: Some(RETRY_AFTER.as_secs()),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
        }
    }

    /// 400 with Auth0's "Payload validation error" message.
    pub fn invalid_body(detail: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("Payload validation error: '{detail}'"),
        )
    }

    /// 404: another tenant's things are not found either, never forbidden.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "inexistent_resource",
            format!("The {what} does not exist."),
        )
    }
}

/// The JSON of an error answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status, again.
    #[schema(example = 404)]
    status_code: u16,
    /// The status's reason phrase.
    #[schema(example = "Not Found")]
    error: &'static str,
    /// What went wrong, naming the offending property where there is one.
    #[schema(example = "The user does not exist.")]
    message: String,
    /// A stable code for programs: `invalid_body`, `invalid_token`,
    /// `insufficient_scope`, `inexistent_resource`, `operation_not_supported`...
    #[schema(example = "inexistent_resource")]
    error_code: &'static str,
}

/// What every Management API operation may answer about its key, in its
/// OpenAPI responses.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "never answered as such: only documents answers")]
pub enum KeyRefused {
    /// No key, or an invalid one.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The key lacks the scope.
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status_code: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or(""),
            message: self.message,
            error_code: self.code,
        };
        with_retry_after((self.status, Json(body)).into_response(), self.retry_after)
    }
}

/// `response` with a `Retry-After` of `seconds`, if given.
pub(crate) fn with_retry_after(mut response: Response, seconds: Option<u64>) -> Response {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

impl From<FlowError> for ApiError {
    fn from(error: FlowError) -> Self {
        let message = error.to_string();
        match error {
            FlowError::Refused(refusal) => refusal.into(),
            FlowError::NotFound(what) => ApiError::not_found(&what),
            FlowError::Store(StoreError::Exists(_)) => {
                ApiError::new(StatusCode::CONFLICT, "already_exists", message)
            }
            FlowError::Update(UpdateError::Policy(PolicyError::NotUpdatable { .. })) => {
                ApiError::new(StatusCode::BAD_REQUEST, "operation_not_supported", message)
            }
            FlowError::Update(UpdateError::Taken(_)) => {
                ApiError::new(StatusCode::CONFLICT, "user_exists", message)
            }
            FlowError::Update(UpdateError::Store(_)) => internal(message),
            FlowError::Update(_) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message),
            FlowError::InvalidSettings { .. }
            | FlowError::UnknownScope(_)
            | FlowError::BadScript { .. }
            | FlowError::InvalidScript { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
            }
            FlowError::Migrated(_)
            | FlowError::NotImplemented { .. }
            | FlowError::NotDone { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "operation_not_supported", message)
            }
            FlowError::NoScript(_) => ApiError::new(StatusCode::BAD_REQUEST, "no_script", message),
            FlowError::PastResults => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_paging", message)
            }
            FlowError::NoDefaultConnection => {
                ApiError::new(StatusCode::BAD_REQUEST, "no_default_connection", message)
            }
            FlowError::Blocked => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message),
            FlowError::Busy(_) => ApiError::too_many_requests(message),
            FlowError::TooManyAttempts(_) => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
            }
            FlowError::InvalidTenantSettings(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
            }
            FlowError::Ticket(TicketRefusal::TooMany) => ApiError::too_many_requests(message),
            FlowError::Ticket(TicketRefusal::Throttled { retry_after_secs }) => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::too_many_requests(message)
            },
            FlowError::Ticket(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_ticket", message)
            }
            FlowError::Job(JobRefusal::TooMany) => ApiError::too_many_requests(message),
            FlowError::Job(JobRefusal::TooLarge) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            FlowError::Job(JobRefusal::BadFile(_) | JobRefusal::BadExport(_)) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
            }
            FlowError::Job(JobRefusal::BadLink | JobRefusal::LinkExpired) => {
                ApiError::new(StatusCode::FORBIDDEN, "invalid_link", message)
            }
            FlowError::Script(_)
            | FlowError::PasswordHash(_)
            | FlowError::Runtime(_)
            | FlowError::Mail(_)
            | FlowError::Store(_) => internal(message),
        }
    }
}

/// A script's (or authbox's) no, as the Management API answers it.
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::UserExists => ApiError::new(
                StatusCode::CONFLICT,
                "user_exists",
                "The user already exists.",
            ),
            Refusal::Validation { message, .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
            }
            Refusal::WrongCredentials { .. } => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Wrong email or password.",
            ),
            Refusal::Unauthorized(message) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        FlowError::Store(error).into()
    }
}

/// 500; the detail is logged (it may name the tenant's database), the
/// answer says only that it failed.
fn internal(detail: String) -> ApiError {
    tracing::error!(error = %detail, "request failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "The request failed on the server; its log has the detail.",
    )
}
