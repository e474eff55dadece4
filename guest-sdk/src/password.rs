//! Password hashing done by the host: bcrypt (`$2a$`, `$2b$`, `$2y$`),
//! argon2id, argon2i, pbkdf2-sha256/sha512 and scrypt (PHC strings). The host
//! runs it off the call's thread, so a slow hash never stalls other logins.
//!
//! ```no_run
//! use authbox_guest::password;
//!
//! # fn f(stored_hash: &str) -> authbox_guest::Result<()> {
//! if password::verify("correct horse", stored_hash)? {
//!     let upgraded = password::hash_with("correct horse", password::Algorithm::Argon2id)?;
//! }
//! # Ok(()) }
//! ```

use crate::Error;
use crate::bindings::authbox::script::password as host;

pub use host::{Algorithm, PasswordError};

/// The bcrypt cost [`hash`] uses.
pub const DEFAULT_BCRYPT_COST: u32 = 10;

/// Whether `password` matches `hash`.
///
/// ```no_run
/// # fn f() -> authbox_guest::Result<()> {
/// let ok = authbox_guest::password::verify("hunter2", "$2b$10$...")?;
/// # Ok(()) }
/// ```
pub fn verify(password: &str, hash: &str) -> Result<bool, PasswordError> {
    host::verify(password, hash)
}

/// A bcrypt hash (cost 10) of `password`.
///
/// ```no_run
/// # fn f() -> authbox_guest::Result<()> {
/// let stored = authbox_guest::password::hash("hunter2")?;
/// # Ok(()) }
/// ```
pub fn hash(password: &str) -> Result<String, PasswordError> {
    hash_with(password, Algorithm::Bcrypt(DEFAULT_BCRYPT_COST))
}

/// A hash of `password` with the given algorithm.
///
/// ```no_run
/// use authbox_guest::password::{hash_with, Algorithm};
/// # fn f() -> authbox_guest::Result<()> {
/// let stored = hash_with("hunter2", Algorithm::Bcrypt(12))?;
/// # Ok(()) }
/// ```
pub fn hash_with(password: &str, algorithm: Algorithm) -> Result<String, PasswordError> {
    host::hash(password, algorithm)
}

impl From<PasswordError> for Error {
    fn from(e: PasswordError) -> Self {
        let detail = match e {
            PasswordError::UnsupportedHash(m) => format!("unsupported password hash: {m}"),
            PasswordError::TooCostly(m) => format!("password hash too costly: {m}"),
            PasswordError::Failed(m) => format!("password hashing failed: {m}"),
        };
        Error::Failed(detail)
    }
}
