//! Loading a script from a file for one command (`run`, `check`): a
//! component, a JavaScript file or a directory of Auth0's script files; the
//! artifact-cache options they share, and a runtime sized for one call.

use std::path::{Path, PathBuf};

use authbox::runtime::capabilities::http::HttpConfig;
use authbox::runtime::{
    Action, CapabilityConfig, JsSources, LoadError, Runtime, RuntimeConfig, Script,
};
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

/// A runtime for one command, and the script at `path` loaded into it
/// (`action`: the action a lone JavaScript file is for, when its name does
/// not say).
pub async fn load(
    path: &Path,
    action: Option<Action>,
    cache: &CacheArgs,
    fuel_metering: bool,
    http: HttpConfig,
) -> Result<(Runtime, Script), ScriptFileError> {
    let bytes = read(path, action)?;
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

/// The script's bytes: a component as it is; JavaScript as
/// [`JsSources::to_bytes`] makes it, from a directory of Auth0's files
/// (`login.js`, `get_user.js`, ...) or from one `.js` file, which is the
/// script of the action its name says, or else of `action`.
fn read(path: &Path, action: Option<Action>) -> Result<Vec<u8>, ScriptFileError> {
    let unreadable =
        |e: std::io::Error| ScriptFileError::Read(format!("cannot read {}: {e}", path.display()));
    if path.is_dir() {
        let sources = JsSources::from_dir(path).map_err(unreadable)?;
        if sources.actions().is_empty() {
            return Err(ScriptFileError::Read(format!(
                "{} has none of Auth0's script files ({})",
                path.display(),
                Action::ALL.map(JsSources::file_name).join(", ")
            )));
        }
        return Ok(sources.to_bytes());
    }
    if path.extension().is_some_and(|e| e == "js") {
        let source = std::fs::read_to_string(path).map_err(unreadable)?;
        let named = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .and_then(Action::from_auth0_name);
        let Some(action) = named.or(action) else {
            return Err(ScriptFileError::Read(format!(
                "{}: name the file after its action ({}) or give a directory of them",
                path.display(),
                Action::ALL.map(JsSources::file_name).join(", ")
            )));
        };
        let mut sources = JsSources::new();
        sources.insert(action, source);
        return Ok(sources.to_bytes());
    }
    std::fs::read(path).map_err(unreadable)
}
