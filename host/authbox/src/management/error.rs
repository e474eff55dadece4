//! How an update of a cached user can be refused or fail.

use super::{MetadataError, PolicyError};
use crate::store::StoreError;

/// Why an update was refused or failed; a refused update changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The request names attributes this user may not have changed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A metadata value is invalid or too large.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A value is of the wrong type or form.
    #[error("{field} {reason}")]
    InvalidValue {
        /// The attribute.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Another user of the connection already has this email or username.
    #[error("another user of this connection already has this {0}")]
    Taken(&'static str),
    /// The store failed, or the user does not exist.
    #[error(transparent)]
    Store(#[from] StoreError),
}
