//! authbox as a library: tenants, connections and their scripts, the profile
//! cache, the Management API's field policy and import mode, over the
//! [`runtime`] (the sandbox, re-exported) and a [`store`] (SQLite or
//! PostgreSQL). [`Authbox`] is the one way in: every change of a cached
//! user goes through its field policy and its per-user turns.
//!
//! ```no_run
//! # async fn f() -> Result<(), authbox::FlowError> {
//! use authbox::store::ConnectionSettings;
//! use authbox::{Authbox, AuthboxConfig, LoginContext};
//!
//! let authbox = Authbox::open(AuthboxConfig::sqlite("authbox-data/authbox.db")).await?;
//! let tenant = authbox.create_tenant("acme").await?;
//! let mut settings = ConnectionSettings::default();
//! settings.datasources.insert("users".into(), "sqlite:legacy.db".into());
//! let legacy = authbox.create_connection(&tenant.id, "legacy", &settings).await?;
//! authbox.upload_script(&tenant.id, &legacy.id, &std::fs::read("sqlite.wasm").unwrap()).await?;
//! let user = authbox
//!     .login(&tenant.id, "legacy", "ada@example.com", "correct horse battery staple", &LoginContext::default())
//!     .await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod background;
pub mod flows;
pub mod jobs;
pub mod logs;
pub mod mail;
pub mod management;
pub mod metrics;
pub mod protection;
pub mod search;
pub mod store;

pub use authbox_runtime as runtime;
pub use flows::{Authbox, AuthboxConfig, FlowError, LoginContext};
