//! Bulk user jobs, as Auth0's Management API has them:
//! `POST /api/v2/jobs/users-imports` (a users file, multipart),
//! `POST /api/v2/jobs/users-exports` (a JSON body),
//! `GET /api/v2/jobs/{id}` (status and progress; an export's `location`),
//! `GET /api/v2/jobs/{id}/errors` (each refused user, with why); and the
//! export's file at its `location`, a signed link that expires.

use std::sync::LazyLock;
use std::time::SystemTime;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Semaphore;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::body::JsonBody;
use super::error::{ApiError, ErrorBody, KeyRefused};
use super::params::{PathParams, QueryParams};
use authbox::flows::{ExportOptions, ImportOptions};
use authbox::jobs::{ExportField, ExportFormat, FieldError, MAX_USERS_FILE_BYTES};
use authbox::store::{Job, JobKind, JobStatus};

/// Users files being received at once, all tenants together: each may be
/// up to 64 MiB in memory until it is stored.
static UPLOADS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(4));

/// Export files being sent at once, all tenants together: each may be up
/// to 64 MiB in memory while it is sent.
static DOWNLOADS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(4));

/// The pieces an export file is sent in.
const DOWNLOAD_CHUNK: usize = 64 << 10;

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(users_import))
        // The file and the form's other fields.
        .layer(DefaultBodyLimit::max(MAX_USERS_FILE_BYTES + (64 << 10)));
    OpenApiRouter::new()
        .routes(routes!(users_export))
        .routes(routes!(read))
        .routes(routes!(errors))
        .routes(routes!(export_file))
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
    /// `users_import` or `users_export`.
    #[serde(rename = "type")]
    #[schema(example = "users_import")]
    kind: &'static str,
    /// RFC 3339, UTC.
    created_at: String,
    /// `job_` and 24 hex digits.
    #[schema(example = "job_5f0c8d2b9a7e4c1d3b6a2f90")]
    id: String,
    /// The connection (none: an export of every connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_id: Option<String>,
    /// The caller's reference, as given (imports).
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    /// The file's format (exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<ExportFormat>,
    /// The most users exported, as asked (exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<i64>,
    /// The fields exported (exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<ExportField>>,
    /// Where to fetch the file, for the next 60 seconds; get the job again
    /// for a new link (a completed export).
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    /// How much is done, 0 to 100 (while processing).
    #[serde(skip_serializing_if = "Option::is_none")]
    percentage_done: Option<i64>,
    /// Seconds it should still take, at its pace so far (while processing,
    /// once it has done a user).
    #[serde(skip_serializing_if = "Option::is_none")]
    time_left_seconds: Option<i64>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    status_details: Option<String>,
    /// The counts, once it has started (imports).
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
}

impl From<Job> for JobAnswer {
    fn from(job: Job) -> Self {
        let import = job.kind == JobKind::UsersImport;
        let export = |key: &str| (!import).then(|| job.options[key].clone());
        let format = export("format").and_then(|v| serde_json::from_value(v).ok());
        let fields = export("fields").and_then(|v| serde_json::from_value(v).ok());
        let limit = export("limit").and_then(|v| v.as_i64());
        JobAnswer {
            status: job.status.name(),
            kind: job.kind.name(),
            percentage_done: (job.status == JobStatus::Processing)
                .then(|| (job.done * 100).checked_div(job.total).unwrap_or(0)),
            time_left_seconds: job.time_left_seconds(SystemTime::now()),
            summary: (import && job.status != JobStatus::Pending).then_some(Summary {
                failed: job.failed,
                updated: job.updated,
                inserted: job.inserted,
                total: job.total,
            }),
            external_id: job.options["external_id"].as_str().map(str::to_string),
            format,
            limit,
            fields,
            location: None,
            created_at: job.created_at,
            id: job.id,
            connection_id: job.connection_id,
            status_details: job.status_details,
        }
    }
}

/// The job as answered: with a new download link if it is a completed
/// export.
async fn answer(state: &AppState, job: Job) -> Result<JobAnswer, ApiError> {
    let location = state.authbox.export_link(&job).await?;
    let mut answer = JobAnswer::from(job);
    answer.location = location.map(|link| format!("{}{link}", state.issuer.trim_end_matches('/')));
    Ok(answer)
}

/// The form of `POST /api/v2/jobs/users-imports`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ImportForm {
    /// The users file: a JSON array of users in Auth0's format.
    #[schema(value_type = String, format = Binary)]
    users: Vec<u8>,
    /// The database connection the users go to.
    #[schema(min_length = 1)]
    connection_id: String,
    /// `true`: users already in the connection (by `user_id` or email) are
    /// updated instead of refused.
    #[schema(nullable = false)]
    upsert: Option<bool>,
    /// Your reference, answered with the job.
    #[schema(nullable = false)]
    external_id: Option<String>,
    /// Accepted; authbox sends no completion email.
    #[schema(nullable = false)]
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
    let job = state.authbox.job(&caller.tenant_id, &id).await?;
    Ok(Json(answer(&state, job).await?))
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

/// What `GET /api/v2/jobs/{id}/errors` answers (the document's schema).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum JobErrors {
    /// The refused users.
    Refused(Vec<RefusedUser>),
    /// The job, when none was refused.
    Job(Box<JobAnswer>),
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
        (status = 200, body = JobErrors, description = "The refused users (the first 10,000), or the job if none was refused."),
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
        return Ok(Json(answer(&state, job).await?).into_response());
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

/// The body of `POST /api/v2/jobs/users-exports`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExportRequest {
    /// The connection whose users to export; none: every connection's.
    connection_id: Option<String>,
    /// `csv` (the default) or `json` (one user per line).
    format: Option<ExportFormat>,
    /// At most this many users; none: all.
    #[schema(minimum = 1)]
    limit: Option<i64>,
    /// Up to 30 fields; none: the root attributes (csv) or whole users
    /// (json). In csv an object or array is written as its JSON text.
    #[schema(max_items = 30)]
    fields: Option<Vec<ExportField>>,
}

/// Exports the tenant's cached users (of a connection, or all) to a
/// gzip-compressed file, in the background; get the job for the file's
/// `location` once it is completed.
#[utoipa::path(
    post,
    path = "/api/v2/jobs/users-exports",
    operation_id = "create_users_export",
    tag = "jobs",
    request_body = ExportRequest,
    security(("api_key" = ["read:users"])),
    responses(
        (status = 201, body = JobAnswer, description = "Made; pending."),
        (status = 400, body = ErrorBody, description = "`invalid_body`: malformed body, or a format, field or limit that cannot be used (named)."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such connection in the key's tenant."),
        (status = 413, body = ErrorBody, description = "The body is over 1 MiB."),
        (status = 429, body = ErrorBody, description = "`too_many_requests`: the tenant has 2 jobs pending or processing."),
    )
)]
async fn users_export(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<ExportRequest>,
) -> Result<Response, ApiError> {
    caller.require("read:users")?;
    let options = ExportOptions {
        connection_id: request.connection_id,
        format: request.format.unwrap_or_default(),
        limit: request.limit,
        fields: request.fields.unwrap_or_default(),
    };
    let job = state
        .authbox
        .create_users_export(&caller.tenant_id, options)
        .await?;
    Ok((StatusCode::CREATED, Json(answer(&state, job).await?)).into_response())
}

/// A download link's query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LinkQuery {
    /// When the link expires (Unix seconds).
    expires: i64,
    /// The link's signature (hex).
    #[param(pattern = "^[0-9a-f]{64}$")]
    signature: String,
}

/// An export's file (gzip), at the `location` of its completed job. The
/// link is the credential: no key is sent.
#[utoipa::path(
    get,
    path = "/exports/{id}/{file}",
    operation_id = "get_export_file",
    tag = "jobs",
    params(
        ("id" = String, Path, description = "The job's id."),
        ("file" = String, Path, description = "The file's name: `<tenant>.<format>.gz`."),
        LinkQuery,
    ),
    responses(
        (status = 200, content_type = "application/gzip", body = Vec<u8>, description = "The file."),
        (status = 400, body = ErrorBody, description = "`invalid_query_string`: `expires` or `signature` missing or malformed."),
        (status = 403, body = ErrorBody, description = "`invalid_link`: the link is not valid, or expired (get the job again)."),
        (status = 404, body = ErrorBody, description = "No such export, or its file is gone (kept 24 hours)."),
        (status = 429, body = ErrorBody, description = "`too_many_requests`: the server is sending as many files as it may: retry."),
    )
)]
async fn export_file(
    State(state): State<AppState>,
    PathParams((id, _file)): PathParams<(String, String)>,
    QueryParams(link): QueryParams<LinkQuery>,
) -> Result<Response, ApiError> {
    let turn = DOWNLOADS.try_acquire().map_err(|_| {
        ApiError::too_many_requests("The server is sending as many export files as it may: retry.")
    })?;
    let file = state
        .authbox
        .export_file(&id, link.expires, &link.signature)
        .await?;
    let disposition = format!("attachment; filename=\"{}\"", file.name);
    let length = file.bytes.len().to_string();
    // The body owns the turn: it is given back once the file is sent (or
    // the client went away), not when the handler returns.
    let bytes = Bytes::from(file.bytes);
    let chunks = (0..bytes.len()).step_by(DOWNLOAD_CHUNK).map(move |at| {
        let _sending = &turn;
        Ok::<_, std::convert::Infallible>(bytes.slice(at..(at + DOWNLOAD_CHUNK).min(bytes.len())))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, length),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response())
}
