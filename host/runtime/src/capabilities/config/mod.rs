//! `authbox:script/config`: the connection's read-only key/values. Values are
//! secrets: they are handed to the script and never logged.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use super::{CallScope, Capability, HasCapability};
use crate::bindings::authbox::script::config;

/// A connection's configuration, shared by all its calls.
pub type ConfigValues = Arc<BTreeMap<String, String>>;

/// The `config` capability of one call.
pub struct ConfigCapability {
    values: ConfigValues,
}

impl ConfigCapability {
    /// Serves `values` to the script.
    pub fn new(values: ConfigValues) -> Self {
        ConfigCapability { values }
    }
}

impl config::Host for ConfigCapability {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.values.get(&key).cloned())
    }

    fn keys(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.values.keys().cloned().collect())
    }
}

impl Capability for ConfigCapability {
    const INTERFACE: &'static str = "authbox:script/config";
    type Settings = ConfigValues;
    type Config = ();
    type Shared = ();

    fn shared((): &()) {}

    fn for_call(values: &ConfigValues, (): &(), _: &CallScope<'_>) -> Self {
        ConfigCapability::new(Arc::clone(values))
    }

    fn add_to_linker<T: HasCapability<Self>>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
        config::add_to_linker::<T, HasSelf<Self>>(linker, |t| t.capability().state)
    }
}
