//! The connection's configuration: read-only key/values set by the tenant
//! (typically secrets such as database passwords or API keys).
//!
//! ```no_run
//! use authbox_guest::config;
//!
//! # fn f() -> authbox_guest::Result<()> {
//! let api_key = config::require("api_key")?;
//! let region = config::get("region").unwrap_or_else(|| "eu".to_string());
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;

use crate::bindings::authbox::script::config as host;
use crate::{Error, Result};

/// The value of `key`, if the connection sets it.
///
/// ```no_run
/// let timeout = authbox_guest::config::get("timeout_ms");
/// ```
pub fn get(key: &str) -> Option<String> {
    host::get(key)
}

/// The value of `key`, or [`Error::Failed`] naming the missing key.
///
/// ```no_run
/// # fn f() -> authbox_guest::Result<()> {
/// let secret = authbox_guest::config::require("pepper")?;
/// # Ok(()) }
/// ```
pub fn require(key: &str) -> Result<String> {
    get(key).ok_or_else(|| Error::failed(format!("the connection's configuration has no `{key}`")))
}

/// The value of `key` parsed as JSON into `T`.
///
/// ```no_run
/// #[derive(serde::Deserialize)]
/// struct Account { email: String, hash: String }
///
/// # fn f() -> authbox_guest::Result<()> {
/// let accounts: Vec<Account> = authbox_guest::config::json("users")?;
/// # Ok(()) }
/// ```
pub fn json<T: DeserializeOwned>(key: &str) -> Result<T> {
    serde_json::from_str(&require(key)?).map_err(|e| {
        Error::failed(format!(
            "configuration `{key}` is not the expected JSON: {e}"
        ))
    })
}

/// Every key the connection sets.
///
/// ```no_run
/// for key in authbox_guest::config::keys() {
///     authbox_guest::debug!("configured: {key}");
/// }
/// ```
pub fn keys() -> Vec<String> {
    host::keys()
}
