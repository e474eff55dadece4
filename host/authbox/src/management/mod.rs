//! Updating cached users (docs/behaviour.md §4): the field policy table, the
//! metadata merge, the one typed update and the one loop that writes it,
//! used by every entry point alike.

mod error;
pub mod merge;
pub mod policy;
#[cfg(test)]
mod tests;
mod update;
mod user_update;

pub use error::UpdateError;
pub use merge::{DEFAULT_MAX_METADATA_BYTES, MetadataError};
pub use policy::PolicyError;
pub(crate) use update::{UpdateSettings, UpdateSource, change_user, update_user};
pub(crate) use user_update::UserUpdate;
