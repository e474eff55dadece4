//! Query strings: deserialized into a type, a bad one answered in Auth0's
//! error shape (400 naming what is wrong), not axum's plain text.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A query string deserialized into `T`.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(ApiError::new(
                rejection.status(),
                "invalid_query_string",
                format!("Query validation error: '{}'", rejection.body_text()),
            )),
        }
    }
}
