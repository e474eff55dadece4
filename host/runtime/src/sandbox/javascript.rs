//! JavaScript scripts: the sources of a connection (Auth0's one function per
//! action), the engine component that runs them (built from
//! `host/runtime/js-engine/` into this crate), and what the host hands the
//! engine on each call (the action's bytecode, `authbox:js/code`).
//!
//! The engine compiles each source to QuickJS bytecode when the script is
//! loaded; the bytecode lives only in this process's memory and goes back
//! only to an engine of this same build. No bytecode is ever taken from a
//! user or from the store (QuickJS trusts the bytecode it loads).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::call::{CallState, Instantiate, Invocation, Returned};
use super::script::{self, Language, LoadError, Script, ScriptInfo};
use super::{Action, CallContext, Runtime, js_snapshot};
use crate::bindings::CustomDatabasePre;
use crate::bindings::js::authbox::js::code;

/// The engine component, or why this build has none.
#[cfg(authbox_js_engine)]
pub(crate) const ENGINE: Result<&[u8], &str> =
    Ok(include_bytes!(concat!(env!("OUT_DIR"), "/js_engine.wasm")));
#[cfg(not(authbox_js_engine))]
pub(crate) const ENGINE: Result<&[u8], &str> = Err(env!("AUTHBOX_JS_ENGINE_MISSING"));

/// Whether this build can run JavaScript, and if not, why.
pub fn javascript_support() -> Result<(), &'static str> {
    ENGINE.map(drop)
}

/// The most source one action may have (Auth0 stores far smaller scripts).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// The JavaScript of a connection: one function expression per action,
/// written as for Auth0 (`function login(email, password, callback) {...}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsSources {
    sources: BTreeMap<Action, String>,
}

/// How a [`JsSources`] is kept: a JSON object the store and the artifact
/// hash see as the script's bytes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    /// Auth0's names (`get_user`) to sources.
    javascript: BTreeMap<String, String>,
}

impl JsSources {
    /// No actions yet.
    pub fn new() -> Self {
        JsSources::default()
    }

    /// Sets the source of `action`.
    pub fn insert(&mut self, action: Action, source: impl Into<String>) {
        self.sources.insert(action, source.into());
    }

    /// The source of `action`.
    pub fn get(&self, action: Action) -> Option<&str> {
        self.sources.get(&action).map(String::as_str)
    }

    /// The actions that have a source, in order.
    pub fn actions(&self) -> Vec<Action> {
        self.sources.keys().copied().collect()
    }

    /// Each action and its source, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Action, &str)> {
        self.sources.iter().map(|(a, s)| (*a, s.as_str()))
    }

    /// The Auth0-named files of `dir` (`login.js`, `get_user.js`, ...);
    /// actions without a file are left out.
    pub fn from_dir(dir: &std::path::Path) -> std::io::Result<JsSources> {
        let mut sources = JsSources::new();
        for action in Action::ALL {
            match std::fs::read_to_string(dir.join(JsSources::file_name(action))) {
                Ok(source) => sources.insert(action, source),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(sources)
    }

    /// The files of the actions every connection needs (`login.js`,
    /// `get_user.js`) that these sources lack.
    pub fn missing_required(&self) -> Vec<String> {
        [Action::Login, Action::GetUser]
            .into_iter()
            .filter(|a| !self.sources.contains_key(a))
            .map(JsSources::file_name)
            .collect()
    }

    /// The file an action's script is kept in (`get_user.js`), as in
    /// Auth0's templates.
    pub fn file_name(action: Action) -> String {
        format!("{}.js", action.auth0_name())
    }

    /// The bytes the store keeps for these sources.
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored {
            javascript: self
                .sources
                .iter()
                .map(|(a, s)| (a.auth0_name().to_owned(), s.clone()))
                .collect(),
        };
        serde_json::to_vec(&stored).expect("strings serialize")
    }

    /// Reads bytes made by [`to_bytes`](Self::to_bytes); `None` when they
    /// are not JavaScript sources at all (a component, say).
    pub fn from_bytes(bytes: &[u8]) -> Option<Result<JsSources, LoadError>> {
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return None;
        }
        let stored: Stored = match serde_json::from_slice(bytes) {
            Ok(stored) => stored,
            Err(e) => {
                return Some(Err(LoadError::Invalid(format!(
                    "unreadable JavaScript sources: {e}"
                ))));
            }
        };
        let mut sources = JsSources::new();
        for (name, source) in stored.javascript {
            let Some(action) = Action::from_auth0_name(&name) else {
                return Some(Err(LoadError::Invalid(format!(
                    "`{name}` is not an action (the actions are {})",
                    auth0_names()
                ))));
            };
            sources.insert(action, source);
        }
        Some(Ok(sources))
    }
}

/// The JavaScript engine, ready to instantiate: one per runtime, made on
/// first use.
pub(super) struct JsEngine {
    pre: CustomDatabasePre<CallState>,
    imports: Vec<String>,
    compiled: bool,
}

impl Runtime {
    /// Loads JavaScript: the embedded engine compiles each action's source
    /// to bytecode (a syntax error names the file, line and column); every
    /// call then runs a fresh engine instance with the action's bytecode.
    /// One action is enough to run it; a connection needs `login` and
    /// `get_user` ([`JsSources::missing_required`]).
    pub async fn load_javascript(&self, sources: &JsSources) -> Result<Script, LoadError> {
        let started = Instant::now();
        if sources.actions().is_empty() {
            return Err(LoadError::MissingJavascript(sources.missing_required()));
        }
        let bytes = sources.to_bytes();
        if bytes.len() > self.inner.config.max_script_bytes {
            return Err(LoadError::TooLarge {
                size: bytes.len(),
                limit: self.inner.config.max_script_bytes,
            });
        }
        let engine = self.js_engine().await?;
        let mut code = Bytecode::new();
        for (action, source) in sources.iter() {
            let file = JsSources::file_name(action);
            if source.len() > MAX_SOURCE_BYTES {
                return Err(LoadError::TooLarge {
                    size: source.len(),
                    limit: MAX_SOURCE_BYTES,
                });
            }
            let invocation = Invocation::Compile {
                file: &file,
                source,
            };
            let (returned, logs, _stats) = self
                .run(
                    Instantiate::Pre(&engine.pre),
                    invocation,
                    &CallContext::default(),
                )
                .await;
            match returned {
                Ok(Returned::Compiled(Ok(bytecode))) => {
                    code.insert(action, bytecode.into());
                }
                Ok(Returned::Compiled(Err(e))) => {
                    return Err(LoadError::Syntax {
                        file,
                        line: e.line,
                        column: e.column,
                        message: e.message,
                    });
                }
                Ok(_) => unreachable!("`compile` returns bytecode"),
                Err(e) => {
                    // The engine's own failure: what it printed says why.
                    let printed: Vec<String> = logs.into_iter().map(|l| l.message).collect();
                    return Err(LoadError::Invalid(format!(
                        "compiling {file}: {e} {}",
                        printed.join(" | ")
                    )));
                }
            }
        }
        let info = ScriptInfo {
            sha256: script::sha256_hex(&bytes),
            size_bytes: bytes.len(),
            actions: sources.actions(),
            imports: engine.imports.clone(),
            language: Language::Javascript,
            compiled: engine.compiled,
            load_time: started.elapsed(),
        };
        Ok(Script::javascript(engine.pre.clone(), info, code))
    }

    /// The JavaScript engine, compiled (or taken from the artifact cache)
    /// on first use.
    async fn js_engine(&self) -> Result<&JsEngine, LoadError> {
        let engine = self
            .inner
            .js
            .get_or_init(|| async {
                let bytes =
                    ENGINE.map_err(|reason| LoadError::JavascriptUnavailable(reason.to_owned()))?;
                // The snapshot is made from the engine alone: cached under
                // the engine's own hash.
                let key = format!("{}-snapshot", script::sha256_hex(bytes));
                let cached = self
                    .inner
                    .cache
                    .as_ref()
                    .and_then(|c| c.get(&self.inner.engine, &key));
                let (component, compiled) = match cached {
                    Some(component) => (component, false),
                    None => {
                        let inner = &self.inner;
                        let snapshot = js_snapshot::snapshot(
                            &inner.engine,
                            &inner.linker,
                            &inner.shared,
                            bytes,
                        )
                        .await
                        .map_err(LoadError::Invalid)?;
                        let (component, _) = self.compile(&snapshot, &key).await?;
                        if let Some(cache) = &self.inner.cache {
                            cache.put(&key, &component);
                        }
                        (component, true)
                    }
                };
                let pre = self.instantiate_pre(&component)?;
                let engine = component.engine();
                let imports = component
                    .component_type()
                    .imports(engine)
                    .map(|(name, _)| name.to_owned())
                    .collect();
                Ok(JsEngine {
                    pre,
                    imports,
                    compiled,
                })
            })
            .await;
        engine.as_ref().map_err(Clone::clone)
    }
}

/// Auth0's action names, for messages.
pub(crate) fn auth0_names() -> String {
    Action::ALL.map(Action::auth0_name).join(", ")
}

/// The bytecode of each action of a loaded JavaScript script.
pub(crate) type Bytecode = BTreeMap<Action, Arc<[u8]>>;

impl code::Host for CallState {
    fn bytecode(&mut self) -> wasmtime::Result<Vec<u8>> {
        Ok(self.js_code().map(|code| code.to_vec()).unwrap_or_default())
    }
}
