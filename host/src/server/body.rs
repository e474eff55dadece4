//! Request bodies: JSON objects within the size cap, every failure in
//! Auth0's shape (413 over the cap, 400 naming what is wrong).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ApiError;

/// A JSON body deserialized into `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "The request body is over the size limit.",
                    )
                } else {
                    ApiError::invalid_body(rejection.body_text())
                }
            })?;
        let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(deserializer)
            .map(JsonBody)
            .map_err(|e| {
                let path = e.path().to_string();
                match path.as_str() {
                    "." => ApiError::invalid_body(format!("Invalid JSON: {}", e.inner())),
                    _ => ApiError::invalid_body(format!("{path}: {}", e.inner())),
                }
            })
    }
}

/// A body that must be a JSON object (a PATCH).
pub type ObjectBody = JsonBody<Map<String, Value>>;
