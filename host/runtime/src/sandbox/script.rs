//! Loading a script: size cap, format checks, compilation (or the cached
//! artifact), the check that it fits the custom-database world, and asking it
//! which actions it implements.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use super::call::CallState;
use super::javascript::Bytecode;
use super::{Action, INTERFACES};
use crate::bindings::CustomDatabasePre;

/// The export every script must have.
pub const ACTIONS_EXPORT: &str = "authbox:script/actions@0.1.0";

/// The default cap on a script's size (16 MiB).
pub const DEFAULT_MAX_SCRIPT_BYTES: usize = 16 << 20;

/// A loaded script, ready to be called; cheap to clone.
#[derive(Clone)]
pub struct Script {
    pub(crate) pre: CustomDatabasePre<CallState>,
    info: Arc<ScriptInfo>,
    /// For JavaScript: the engine runs, this is each action's bytecode.
    code: Option<Arc<Bytecode>>,
}

/// What loading learned about a script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptInfo {
    /// Hex sha256 of the component.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size_bytes: usize,
    /// The actions it implements.
    pub actions: Vec<Action>,
    /// The interfaces it imports (authbox capabilities and WASI); for
    /// JavaScript, what the engine imports.
    pub imports: Vec<String>,
    /// The language it was written in: `wasm` (a component) or `javascript`.
    pub language: Language,
    /// Whether it was compiled now (`false`: loaded from the artifact cache).
    pub compiled: bool,
    /// Time to compile (or load from the cache) and check it.
    #[serde(skip)]
    pub load_time: Duration,
}

/// What a script was written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// A WebAssembly component (Rust with the guest SDK, or any language
    /// that builds one).
    Wasm,
    /// Auth0-style JavaScript, run by the embedded engine.
    Javascript,
}

impl Script {
    pub(crate) fn new(pre: CustomDatabasePre<CallState>, info: ScriptInfo) -> Self {
        Script {
            pre,
            info: Arc::new(info),
            code: None,
        }
    }

    pub(crate) fn javascript(
        pre: CustomDatabasePre<CallState>,
        info: ScriptInfo,
        code: Bytecode,
    ) -> Self {
        Script {
            pre,
            info: Arc::new(info),
            code: Some(Arc::new(code)),
        }
    }

    /// The bytecode a JavaScript script runs for `action`.
    pub(crate) fn code(&self, action: Action) -> Option<Arc<[u8]>> {
        self.code.as_ref()?.get(&action).cloned()
    }

    /// What loading learned about the script.
    pub fn info(&self) -> &ScriptInfo {
        &self.info
    }

    /// Whether the script implements `action`.
    pub fn implements(&self, action: Action) -> bool {
        self.info.actions.contains(&action)
    }
}

/// Why a file is not a usable script. Every message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Over the size cap.
    #[error("the script is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// Not WebAssembly at all.
    #[error(
        "not a WebAssembly file (it does not start with `\\0asm`): build the script with `cargo build --release --target wasm32-wasip2`"
    )]
    NotWasm,
    /// A core module rather than a component.
    #[error(
        "this is a core WebAssembly module, not a component: build the script for the wasm32-wasip2 target (`cargo build --release --target wasm32-wasip2`)"
    )]
    CoreModule,
    /// A precompiled artifact: it would run unchecked machine code.
    #[error("precompiled artifacts (.cwasm) are not accepted: give the .wasm component itself")]
    Precompiled,
    /// The component does not validate or compile.
    #[error("invalid component: {0}")]
    Invalid(String),
    /// It imports interfaces authbox does not provide.
    #[error(
        "the script imports {}, which authbox does not provide (it provides {} and WASI 0.2); a script may only use the authbox-guest SDK's capabilities",
        quoted(.0), INTERFACES.join(", ")
    )]
    UnknownImports(Vec<String>),
    /// It does not export the actions.
    #[error(
        "the script does not export `{ACTIONS_EXPORT}` (it exports {}): is it built with authbox-guest's `export_script!`?",
        if .0.is_empty() { "nothing".to_owned() } else { quoted(.0) }
    )]
    MissingActions(Vec<String>),
    /// Imports or exports have the wrong types (e.g. another contract version).
    #[error("the script does not fit authbox's custom-database world: {0}")]
    WorldMismatch(String),
    /// Asking it for its actions failed.
    #[error("the script could not say which actions it implements: {0}")]
    Implemented(String),
    /// JavaScript without a script for each required action.
    #[error(
        "JavaScript scripts need login.js and get_user.js; missing: {}",
        .0.join(", ")
    )]
    MissingJavascript(Vec<String>),
    /// An action's JavaScript does not compile.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The action's file (`login.js`).
        file: String,
        /// Line, from 1.
        line: u32,
        /// Column, from 1.
        column: u32,
        /// What the compiler said.
        message: String,
    },
    /// This build has no JavaScript engine.
    #[error("{0}")]
    JavascriptUnavailable(String),
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name of an interface without its `@version`.
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(base, _)| base)
}

/// Checks the bytes before compiling them.
pub(crate) fn check_format(bytes: &[u8], limit: usize) -> Result<(), LoadError> {
    if bytes.len() > limit {
        return Err(LoadError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    if wasmtime::Engine::detect_precompiled(bytes).is_some() {
        return Err(LoadError::Precompiled);
    }
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(LoadError::NotWasm);
    }
    // Bytes 6..8 are the layer: 0 for a core module, 1 for a component.
    if bytes[6..8] == [0, 0] {
        return Err(LoadError::CoreModule);
    }
    Ok(())
}

/// Hex sha256 of the bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks a compiled component against the world: the imports it needs and
/// the export it must have. Returns its imports.
pub(crate) fn check_world(component: &Component) -> Result<Vec<String>, LoadError> {
    let engine = component.engine();
    let ty = component.component_type();
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let unknown: Vec<String> = imports
        .iter()
        .filter(|name| !name.starts_with("wasi:") && !INTERFACES.contains(&unversioned(name)))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(LoadError::UnknownImports(unknown));
    }
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    if !exports.iter().any(|name| name == ACTIONS_EXPORT) {
        return Err(LoadError::MissingActions(exports));
    }
    Ok(imports)
}
