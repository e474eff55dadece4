//! Query strings and path parameters: deserialized into a type, a bad one
//! answered in Auth0's error shape (400 `invalid_query_string` or
//! `invalid_uri`, naming what is wrong), never axum's plain text.

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A query string deserialized into `T`.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        // A parameter with an empty value (`?q=&from=`, as forms and some
        // SDKs send an unset field) is a parameter not given.
        let given: String = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| {
                pair.split_once('=')
                    .map_or(!pair.is_empty(), |(_, v)| !v.is_empty())
            })
            .collect::<Vec<_>>()
            .join("&");
        let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(given.as_bytes()));
        serde_path_to_error::deserialize(pairs)
            .map(QueryParams)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.inner();
                let what = match path.as_str() {
                    "." => inner.to_string(),
                    _ => format!("{path}: {inner}"),
                };
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query_string",
                    format!("Query validation error: 'Failed to deserialize query string: {what}'"),
                )
            })
    }
}

/// Path parameters deserialized into `T` (a version past `i64`, an id
/// that is not UTF-8...).
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_uri",
                format!("Path validation error: '{}'", rejection.body_text()),
            )),
        }
    }
}

/// A 400 `invalid_query_string`: `message` says what is wrong.
pub fn invalid_query(message: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query_string",
        format!("Query validation error: {message}"),
    )
}

/// The most items one page of a list may have (as Auth0).
pub const MAX_PAGE: u32 = 100;

/// A page size given as parameter `name`: `asked` (50 if not), 1 to
/// [`MAX_PAGE`].
pub fn page_size(name: &str, asked: Option<u32>) -> Result<u32, ApiError> {
    match asked.unwrap_or(50) {
        n @ 1..=MAX_PAGE => Ok(n),
        _ => Err(invalid_query(format!(
            "{name} must be from 1 to {MAX_PAGE}"
        ))),
    }
}
