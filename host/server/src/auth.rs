//! The Management API's caller: `Authorization: Bearer <key>`, the key's
//! tenant (the only one it sees) and its scopes.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::AppState;
use super::audit::KeyTenant;
use super::error::ApiError;

/// An authenticated Management API caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's tenant.
    pub tenant_id: String,
    scopes: Vec<String>,
}

impl Caller {
    /// Refuses (403 `insufficient_scope`) a caller without `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("Insufficient scope, expected any of: {scope}"),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized =
            |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                unauthorized("Missing authentication: send `Authorization: Bearer <key>`")
            })?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| unauthorized("Bad authorization header: expected `Bearer <key>`"))?;
        let found = state.authbox.api_key(key).await.map_err(ApiError::from)?;
        let key = found.ok_or_else(|| unauthorized("Invalid token"))?;
        if let Some(audit) = parts.extensions.get::<KeyTenant>() {
            audit.set(&key.tenant_id);
        }
        Ok(Caller {
            tenant_id: key.tenant_id,
            scopes: key.scopes,
        })
    }
}
