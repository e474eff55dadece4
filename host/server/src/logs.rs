//! `/api/v2/logs` and `/api/v2/users/{id}/logs`: the tenant's log events,
//! as Auth0 answers them: newest first by offset pages, or oldest first
//! from a checkpoint (`from`, `take`), searched with Auth0's query syntax.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody, KeyRefused};
use super::fields::Fields;
use super::params::{PathParams, QueryParams, invalid_query, page_size};
use authbox::logs::{LogEvent, LogPage, LogSearch, parse_log_query};

/// The routes, each documented in the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(of_user))
}

/// `sort`: `date:-1` (newest first, the default) or `date:1`.
fn oldest_first(sort: Option<&str>) -> Result<bool, ApiError> {
    match sort {
        None | Some("date:-1") => Ok(false),
        Some("date:1") => Ok(true),
        Some(other) => Err(invalid_query(format!(
            "sort `{other}` is not supported: logs sort by date:1 or date:-1"
        ))),
    }
}

/// A page of events, as the document describes it (answers are built as
/// JSON, `fields` applied).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum LogList {
    /// An offset page.
    Events(Vec<LogEvent>),
    /// An offset page with its totals (`include_totals=true`).
    WithTotals(LogsWithTotals),
    /// A checkpoint page (`from`, `take`): `next` when the page is full.
    Checkpoint(LogsFromCheckpoint),
}

/// An offset page with its totals. Its properties are these alone, so that
/// no answer fits two shapes of the list.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LogsWithTotals {
    start: u64,
    limit: u32,
    length: usize,
    total: u64,
    logs: Vec<LogEvent>,
}

/// A checkpoint page.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LogsFromCheckpoint {
    logs: Vec<LogEvent>,
    next: Option<String>,
}

/// `GET /api/v2/logs`: Auth0's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// A search in Auth0's query syntax over `type`, `user_id`, `user_name`,
    /// `connection`, `connection_id`, `client_id`, `client_name`, `ip`,
    /// `log_id` and `date`, e.g. `type:fp AND date:[2024-01-01 TO *]`.
    q: Option<String>,
    /// The same as `q` (the name Auth0's newer SDKs send).
    search: Option<String>,
    /// The offset page, from 0.
    page: Option<u32>,
    /// Events per offset page, 1 to 100 (50).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
    /// `date:-1` (newest first, the default) or `date:1`.
    #[param(pattern = "^date:-?1$")]
    sort: Option<String>,
    /// Answer `{start, limit, length, total, logs}` instead of an array.
    #[serde(default)]
    include_totals: bool,
    /// Start after this event (its `log_id`), oldest first: checkpoint pages.
    #[param(pattern = "^[0-9a-f]{13,64}$")]
    from: Option<String>,
    /// Events per checkpoint page, 1 to 100 (50).
    #[param(minimum = 1, maximum = 100)]
    take: Option<u32>,
    /// Comma-separated properties to answer (or, with `include_fields=false`, to leave out).
    fields: Option<String>,
    /// Whether `fields` are the ones kept (true, the default) or left out.
    include_fields: Option<bool>,
}

/// A `from`: a `log_id` this API answered (digits and lowercase hex).
fn checkpoint(from: &str) -> Result<String, ApiError> {
    let valid = (13..=64).contains(&from.len())
        && from
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    match valid {
        true => Ok(from.to_string()),
        false => Err(invalid_query(
            "`from` is not a log_id: give the log_id of the last event seen",
        )),
    }
}

/// The page an offset or checkpoint request asks for.
fn page(query: &ListQuery) -> Result<LogPage, ApiError> {
    if query.from.is_some() || query.take.is_some() {
        return Ok(LogPage::Checkpoint {
            from: query.from.as_deref().map(checkpoint).transpose()?,
            take: page_size("take", query.take)?,
        });
    }
    Ok(LogPage::Offset {
        page: query.page.unwrap_or(0),
        per_page: page_size("per_page", query.per_page)?,
        oldest_first: oldest_first(query.sort.as_deref())?,
    })
}

/// The answer to a list: an array, with its totals, or a checkpoint page.
fn answer(events: &[LogEvent], total: Option<u64>, page: &LogPage, fields: &Fields) -> Value {
    let logs = Value::Array(fields.apply_all(events));
    match (page, total) {
        (LogPage::Checkpoint { take, .. }, _) => {
            let mut answer = json!({ "logs": logs });
            if events.len() == *take as usize
                && let Some(last) = events.last()
            {
                answer["next"] = Value::String(last.log_id.clone());
            }
            answer
        }
        (LogPage::Offset { page, per_page, .. }, Some(total)) => json!({
            "start": u64::from(*page) * u64::from(*per_page),
            "limit": per_page,
            "length": events.len(),
            "total": total,
            "logs": logs,
        }),
        (LogPage::Offset { .. }, None) => logs,
    }
}

/// The tenant's log events.
#[utoipa::path(
    get,
    path = "/api/v2/logs",
    operation_id = "list_logs",
    tag = "logs",
    params(ListQuery),
    security(("api_key" = ["read:logs"])),
    responses(
        (status = 200, body = LogList, description = "The events: an array (newest first unless `sort=date:1`); `{start, limit, length, total, logs}` with `include_totals=true`; `{logs, next}` with `from` or `take` (oldest first; `next`, the last `log_id`, when the page is full)."),
        (status = 400, body = ErrorBody, description = "A query, sort, page size or `from` that is not supported, naming what."),
        KeyRefused,
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:logs")?;
    let q = query.q.as_deref().or(query.search.as_deref());
    let search = LogSearch {
        query: q
            .filter(|q| !q.trim().is_empty())
            .map(parse_log_query)
            .transpose()
            .map_err(invalid_query)?,
        user_id: None,
        page: page(&query)?,
        include_totals: query.include_totals,
    };
    let (events, total) = state.authbox.logs(&caller.tenant_id, &search).await?;
    let fields = Fields::new(query.fields.as_deref(), query.include_fields);
    Ok(Json(answer(&events, total, &search.page, &fields)))
}

/// One event of the tenant's log.
#[utoipa::path(
    get,
    path = "/api/v2/logs/{id}",
    operation_id = "get_log",
    tag = "logs",
    params(("id" = String, Path, description = "The event's `log_id`.")),
    security(("api_key" = ["read:logs"])),
    responses(
        (status = 200, body = LogEvent, description = "The event."),
        KeyRefused,
        (status = 404, body = ErrorBody, description = "No such event in the key's tenant."),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<LogEvent>, ApiError> {
    caller.require("read:logs")?;
    Ok(Json(state.authbox.log_event(&caller.tenant_id, &id).await?))
}

/// `GET /api/v2/users/{id}/logs`: Auth0's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UserLogsQuery {
    /// The page, from 0.
    page: Option<u32>,
    /// Events per page, 1 to 100 (50).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
    /// `date:-1` (newest first, the default) or `date:1`.
    #[param(pattern = "^date:-?1$")]
    sort: Option<String>,
    /// Answer `{start, limit, length, total, logs}` instead of an array.
    #[serde(default)]
    include_totals: bool,
}

/// A user's log events.
#[utoipa::path(
    get,
    path = "/api/v2/users/{id}/logs",
    operation_id = "list_user_logs",
    tag = "logs",
    params(("id" = String, Path, description = "The user's `user_id`."), UserLogsQuery),
    security(("api_key" = ["read:logs", "read:logs_users"])),
    responses(
        (status = 200, body = LogList, description = "The user's events: an array, or `{start, limit, length, total, logs}` with `include_totals=true`."),
        (status = 400, body = ErrorBody, description = "A sort or page size that is not supported."),
        KeyRefused,
    )
)]
async fn of_user(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<UserLogsQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require("read:logs")?;
    caller.require("read:logs_users")?;
    let search = LogSearch {
        query: None,
        user_id: Some(id),
        page: LogPage::Offset {
            page: query.page.unwrap_or(0),
            per_page: page_size("per_page", query.per_page)?,
            oldest_first: oldest_first(query.sort.as_deref())?,
        },
        include_totals: query.include_totals,
    };
    let (events, total) = state.authbox.logs(&caller.tenant_id, &search).await?;
    Ok(Json(answer(
        &events,
        total,
        &search.page,
        &Fields::new(None, None),
    )))
}
