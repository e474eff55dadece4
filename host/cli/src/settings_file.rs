//! The TOML settings file of `authbox serve --settings FILE` (also accepted
//! as `--config FILE`, its old name): the same settings as the flags, which
//! (like their environment variables) win over it.
//!
//! ```toml
//! listen = "0.0.0.0:8080"
//! data_dir = "/var/lib/authbox"            # or:
//! database_url = "postgres://authbox@db/authbox"
//! secret_key_file = "/etc/authbox/secret.key"
//! issuer = "https://auth.example.com/"
//! sqlite_dir = "/var/lib/authbox/tenants"
//! tenant_calls = 16                        # script calls in flight per tenant
//! tenant_calls_max = 64                    # the most a tenant may set
//! allow_private_networks = ["10.20.0.0/16"] # scripts' HTTP may reach these
//! smtp_url = "smtps://authbox:PASSWORD@smtp.example.com:465" # reset links
//! mail_from = "Example <no-reply@example.com>"
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

/// What the file may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--secret-key-file`.
    pub secret_key_file: Option<PathBuf>,
    /// `--issuer`.
    pub issuer: Option<String>,
    /// `--sqlite-dir`.
    pub sqlite_dir: Option<PathBuf>,
    /// `--tenant-calls`.
    pub tenant_calls: Option<u32>,
    /// `--tenant-calls-max`.
    pub tenant_calls_max: Option<u32>,
    /// `--allow-private-networks`.
    #[serde(default)]
    pub allow_private_networks: Vec<IpNet>,
    /// `--smtp-url`.
    pub smtp_url: Option<String>,
    /// `--mail-from`.
    pub mail_from: Option<String>,
}

impl SettingsFile {
    /// Reads and parses `path`; the error names the file and what is wrong.
    pub fn read(path: &Path) -> Result<SettingsFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("could not read the settings file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("settings file {}: {e}", path.display()))
    }
}
