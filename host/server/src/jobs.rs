//! Bulk user jobs, as Auth0's Management API has them:
//! `POST /api/v2/jobs/users-imports` (a users file, multipart),
//! `GET /api/v2/jobs/{id}` (status and progress) and
//! `GET /api/v2/jobs/{id}/errors` (each refused user, with why).

use std::sync::LazyLock;

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody, KeyRefused};
use super::params::PathParams;
use authbox::flows::ImportOptions;
use authbox::jobs::{FieldError, MAX_USERS_FILE_BYTES};
use authbox::store::{Job, JobStatus};

/// Users files being received at once, all tenants together: each may be
/// up to 64 MiB in memory until it is stored.
static UPLOADS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(4));

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(users_import))
        // The file and the form's other fields.
        .layer(DefaultBodyLimit::max(MAX_USERS_FILE_BYTES + (64 << 10)));
    OpenApiRouter::new()
        .routes(routes!(read))
        .routes(routes!(errors))
        .merge(uploads)
}

/// An import's counts.
#[derive(Serialize, ToSchema)]
struct Summary {
    /// Users refused.
    failed: i64,
    /// Users updated (`upsert`).
    updated: i64,
    /// Users added.
    inserted: i64,
    /// Users in the file.
    total: i64,
}

/// A job, in Auth0's shape.
#[derive(Serialize, ToSchema)]
struct JobAnswer {
    /// `pending`, `processing`, `completed` or `failed`.
    #[schema(example = "pending")]
    status: &'static str,
    /// `users_import`.
    #[serde(rename = "type")]
    #[schema(example = "users_import")]
    kind: &'static str,
    /// RFC 3339, UTC.
    created_at: String,
    /// `job_` and 24 hex digits.
    #[schema(example = "job_5f0c8d2b9a7e4c1d3b6a2f90")]
    id: String,
    /// The connection.
    connection_id: String,
    /// The caller's reference, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    /// How much of the file is done, 0 to 100 (while processing).
    #[serde(skip_serializing_if = "Option::is_none")]
    percentage_done: Option<i64>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    status_details: Option<String>,
    /// The counts, once it has started.
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
}

impl From<Job> for JobAnswer {
    fn from(job: Job) -> Self {
        let started = job.status != JobStatus::Pending;
        JobAnswer {
            status: job.status.name(),
            kind: job.kind.name(),
            percentage_done: (job.status == JobStatus::Processing)
                .then(|| (job.done * 100).checked_div(job.total).unwrap_or(0)),
            summary: started.then_some(Summary {
                failed: job.failed,
                updated: job.updated,
                inserted: job.inserted,
                total: job.total,
            }),
            external_id: job.options["external_id"].as_str().map(str::to_string),
            created_at: job.created_at,
            id: job.id,
            connection_id: job.connection_id,
            status_details: job.status_details,
        }
    }
}

/// The form of `POST /api/v2/jobs/users-imports`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ImportForm {
    /// The users file: a JSON array of users in Auth0's format.
    #[schema(value_type = String, format = Binary)]
    users: Vec<u8>,
    /// The database connection the users go to.
    connection_id: String,
    /// `true`: users already in the connection (by `user_id` or email) are
    /// updated instead of refused.
    upsert: Option<bool>,
    /// Your reference, answered with the job.
    external_id: Option<String>,
    /// Accepted; authbox sends no completion email.
    send_completion_email: Option<bool>,
}

/// The form, read.
struct ImportRequest {
    users: Vec<u8>,
    connection_id: String,
    options: ImportOptions,
}

/// Reads the multipart form; a missing, unknown or malformed field is a
/// 400 naming it.
async fn import_request(mut form: Multipart) -> Result<ImportRequest, ApiError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The users file is over {} MiB.", MAX_USERS_FILE_BYTES >> 20),
            )
        } else {
            ApiError::invalid_body(format!("The form could not be read: {}", e.body_text()))
        }
    };
    let (mut users, mut connection_id) = (None, None);
    let mut options = ImportOptions::default();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "users" => users = Some(field.bytes().await.map_err(unreadable)?.to_vec()),
            "connection_id" => connection_id = Some(field.text().await.map_err(unreadable)?),
            "external_id" => options.external_id = Some(field.text().await.map_err(unreadable)?),
            "upsert" | "send_completion_email" => {
                let text = field.text().await.map_err(unreadable)?;
                let flag = match text.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ApiError::invalid_body(format!(
                            "{name}: `true` or `false`, not `{text}`"
                        )));
                    }
                };
                if name == "upsert" {
                    options.upsert = flag;
                }
            }
            other => {
                return Err(ApiError::invalid_body(format!(
                    "Unknown form field `{other}` (users, connection_id, upsert, external_id, send_completion_email)."
                )));
            }
        }
    }
    let missing = |field: &str| ApiError::invalid_body(format!("Missing form field `{field}`."));
    Ok(ImportRequest {
        users: users.ok_or_else(|| missing("users"))?,
        connection_id: connection_id.ok_or_else(|| missing("connection_id"))?,
        options,
    })
}

/// Imports a users file into a database connection, in the background:
/// its users become migrated users of the connection (they log in against
/// their imported hashes; import mode should be on).
#[utoipa::path(
    post,
    path = "/api/v2/jobs/users-imports",
    operation_id = "create_users_import",
    tag = "jobs",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    security(("api_key" = ["create:users"])),
    responses(
        (status = 201, body = JobAnswer, description = "Made; pending."),
        (status = 400, body = ErrorBody, description = "`invalid_body`: not a multipart form, a field missing, unknown or malformed, or the file is not a JSON array."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
        (status = 413, body = ErrorBody, description = "The file is over 64 MiB."),
        (status = 429, body = ErrorBody, description = "`too_many_requests`: the tenant has 2 jobs pending or processing, or the server is receiving as many files as it may."),
    )
)]
async fn users_import(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require("create:users")?;
    let form = form.map_err(|e| {
        ApiError::invalid_body(format!(
            "Send a multipart/form-data body: {}",
            e.body_text()
        ))
    })?;
    let _turn = UPLOADS.try_acquire().map_err(|_| {
        ApiError::too_many_requests("The server is receiving as many users files as it may: retry.")
    })?;
    let request = import_request(form).await?;
    let job = state
        .authbox
        .create_users_import(
            &caller.tenant_id,
            &request.connection_id,
            &request.users,
            request.options,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(JobAnswer::from(job))).into_response())
}

/// A job: its status and progress.
#[utoipa::path(
    get,
    path = "/api/v2/jobs/{id}",
    operation_id = "get_job",
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id.")),
    security(("api_key" = ["read:users"])),
    responses(
        (status = 200, body = JobAnswer, description = "The job."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such job in the key's tenant (finished jobs are kept 7 days)."),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<JobAnswer>, ApiError> {
    caller.require("read:users")?;
    Ok(Json(
        state.authbox.job(&caller.tenant_id, &id).await?.into(),
    ))
}

/// A user the job refused.
#[derive(Serialize, ToSchema)]
struct RefusedUser {
    /// The user as the file gave it (its password hash hidden).
    #[schema(value_type = Object)]
    user: Value,
    /// Why.
    errors: Vec<FieldError>,
}

/// The users a job refused, in the file's order; as Auth0 does, the job
/// itself when it refused none.
#[utoipa::path(
    get,
    path = "/api/v2/jobs/{id}/errors",
    operation_id = "get_job_errors",
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id.")),
    security(("api_key" = ["read:users"])),
    responses(
        (status = 200, body = Vec<RefusedUser>, description = "The refused users (the first 10,000), or the job if none was refused."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such job in the key's tenant."),
    )
)]
async fn errors(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    caller.require("read:users")?;
    let refused = state.authbox.job_errors(&caller.tenant_id, &id).await?;
    if refused.is_empty() {
        let job = state.authbox.job(&caller.tenant_id, &id).await?;
        return Ok(Json(JobAnswer::from(job)).into_response());
    }
    let refused: Vec<RefusedUser> = refused
        .into_iter()
        .map(|e| RefusedUser {
            user: e.user,
            errors: e.errors,
        })
        .collect();
    Ok(Json(refused).into_response())
}
