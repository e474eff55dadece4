//! Write [authbox](https://github.com/authbox/authbox) custom-database scripts in Rust.
//!
//! A script is a WebAssembly component that authbox runs in a sandbox for every
//! login, user lookup, signup and so on. With this crate a script is a plain
//! Rust type: implement [`CustomDatabase`] (the required `login` and `get_user`),
//! optionally the one-method traits of the other actions ([`Create`], [`Verify`],
//! [`ChangePassword`], [`Delete`], [`ChangeEmail`]), and call [`export_script!`].
//! Actions you do not implement answer "not implemented", and authbox knows
//! which ones you implemented as soon as the script is uploaded.
//!
//! What a script can use: [`config`] (the connection's read-only settings),
//! [`log`], [`password`] (hashing done by the host), [`sql`] (the
//! connection's own databases, with bound parameters) and [`http`]
//! (requests to the origins the connection allows, over `wasi:http`).
//!
//! ```
//! use authbox_guest::{config, info, password, CustomDatabase, Error, Profile, Result};
//!
//! struct Users;
//!
//! impl CustomDatabase for Users {
//!     fn login(username_or_email: &str, password: &str) -> Result<Profile> {
//!         let hash = config::require("alice_hash")?;
//!         if username_or_email != "alice@example.com" || !password::verify(password, &hash)? {
//!             return Err(Error::wrong_credentials());
//!         }
//!         info!("alice logged in");
//!         Ok(Profile::new("users|alice").email("alice@example.com"))
//!     }
//!
//!     fn get_user(email: &str) -> Result<Option<Profile>> {
//!         Ok((email == "alice@example.com")
//!             .then(|| Profile::new("users|alice").email("alice@example.com")))
//!     }
//! }
//!
//! authbox_guest::export_script!(Users);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` (crate type
//! `cdylib`) and try it with `authbox run target/wasm32-wasip2/release/NAME.wasm login ...`.

#![deny(unsafe_code)]

pub mod config;
mod error;
mod export;
pub mod http;
pub mod log;
pub mod password;
mod profile;
mod script;
pub mod sql;

pub use error::{Error, Result};
pub use profile::{NewUser, Profile};
pub use script::{ChangeEmail, ChangePassword, Create, CustomDatabase, Delete, Verify};

/// Re-exported so that scripts can build metadata with `json!` without
/// depending on `serde_json` themselves.
pub use serde_json::{self, Map, Value, json};

/// The bindings generated from the WIT contract in `wit/`. Scripts never need
/// them directly; they are public for [`export_script!`].
#[doc(hidden)]
#[allow(unsafe_code, missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "custom-database",
        pub_export_macro: true,
        export_macro_name: "__export_world",
        default_bindings_module: "authbox_guest::bindings",
    });
}

#[doc(hidden)]
pub mod __private {
    pub use crate::export::*;
}
