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
        let bytes = body_bytes(request, state).await?;
        let mut value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid_body(format!("Invalid JSON: {e}")))?;
        integral_numbers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(JsonBody)
            .map_err(|e| {
                // Well-formed JSON of the wrong shape ("missing field `name`");
                // a property is named when there is one.
                let path = e.path().to_string();
                match path.as_str() {
                    "." => ApiError::invalid_body(e.inner()),
                    _ => ApiError::invalid_body(format!("{path}: {}", e.inner())),
                }
            })
    }
}

/// Writes each number with no fraction (`2013.0`, `1e3`) as the integer it
/// is, as JSON Schema reads it, so that an integer property takes it.
fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() <= 9_007_199_254_740_992.0
            {
                *number = serde_json::Number::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(object) => object.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// The body's bytes within the route's size cap (413 over it).
async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
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
        })
}

/// A WebAssembly component sent as `Content-Type: application/wasm`.
pub struct WasmBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for WasmBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if content_type != Some("application/wasm") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the script as `Content-Type: application/wasm`.",
            ));
        }
        body_bytes(request, state).await.map(WasmBody)
    }
}

/// A body that must be a JSON object (a PATCH).
pub type ObjectBody = JsonBody<Map<String, Value>>;

/// The Authentication API's bodies: `application/json` or
/// `application/x-www-form-urlencoded`, deserialized into `T`; the error
/// says what was wrong, for the endpoint's own error shape.
pub fn json_or_form<T: DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: &Bytes,
) -> Result<T, String> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(body).map_err(|e| format!("Invalid form body: {e}"))
    } else {
        Err("Send the request as application/x-www-form-urlencoded or application/json.".into())
    }
}
