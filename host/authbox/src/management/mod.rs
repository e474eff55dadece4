//! Updating cached users (docs/behaviour.md §4): the field policy table and the
//! metadata merge, used by every entry point alike.

pub mod merge;
pub mod policy;
#[cfg(test)]
mod tests;
mod update;

pub use merge::{DEFAULT_MAX_METADATA_BYTES, MetadataError};
pub use policy::PolicyError;
pub use update::UpdateError;
pub(crate) use update::{UpdateSettings, update_user};
