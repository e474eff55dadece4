//! Loading a script from a file for one command (`run`, `check`): the
//! artifact-cache options they share, and a runtime sized for one call.

use std::path::PathBuf;

use authbox::runtime::capabilities::http::HttpConfig;
use authbox::runtime::{CapabilityConfig, LoadError, Runtime, RuntimeConfig, Script};
use clap::Args;

/// Where compiled scripts are cached, and whether.
#[derive(Args, Debug, Clone)]
pub struct CacheArgs {
    /// Directory of precompiled scripts [default: $XDG_CACHE_HOME/authbox or ~/.cache/authbox]
    #[arg(long, value_name = "DIR", env = "AUTHBOX_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,

    /// Compile the script every time instead of using the cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
}

impl CacheArgs {
    fn dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir.clone().or_else(|| {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache"))
                })?;
            Some(base.join("authbox"))
        })
    }
}

/// Why a script could not be loaded from a file.
pub enum ScriptFileError {
    /// The file could not be read.
    Read(String),
    /// The runtime could not start.
    Runtime(String),
    /// The file is not a valid script.
    Invalid(LoadError),
}

impl std::fmt::Display for ScriptFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptFileError::Read(m) | ScriptFileError::Runtime(m) => f.write_str(m),
            ScriptFileError::Invalid(e) => e.fmt(f),
        }
    }
}

/// A runtime for one command, and the script at `path` loaded into it.
pub async fn load(
    path: &std::path::Path,
    cache: &CacheArgs,
    fuel_metering: bool,
    http: HttpConfig,
) -> Result<(Runtime, Script), ScriptFileError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ScriptFileError::Read(format!("cannot read {}: {e}", path.display())))?;
    let config = RuntimeConfig {
        max_concurrent_calls: 4,
        fuel_metering,
        cache_dir: cache.dir(),
        capabilities: CapabilityConfig {
            http,
            ..CapabilityConfig::default()
        },
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::new(config).map_err(|e| ScriptFileError::Runtime(e.to_string()))?;
    let script = runtime
        .load(&bytes)
        .await
        .map_err(ScriptFileError::Invalid)?;
    Ok((runtime, script))
}
