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

use serde::{Deserialize, Serialize};

use super::Action;
use super::call::CallState;
use super::script::LoadError;
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
