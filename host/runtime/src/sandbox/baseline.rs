//! The plain way to run a script, kept as the baseline that `benches/call.rs`
//! measures the [`Runtime`](super::Runtime) against: on-demand allocation
//! instead of the pool, and no `InstancePre` (the linker resolves every
//! import on every call). Everything else is the same call path.

use wasmtime::InstanceAllocationStrategy;
use wasmtime::component::{Component, Linker};

use super::call::{self, CallState, Instantiate, Invocation, Returned};
use super::{
    ActionCall, ActionOutput, CallContext, CallError, RuntimeConfig, RuntimeError,
    SharedCapabilities,
};

/// Runs calls the plain way (for benchmarks only).
#[doc(hidden)]
pub struct PlainRunner {
    linker: Linker<CallState>,
    component: Component,
    shared: SharedCapabilities,
    config: RuntimeConfig,
}

impl PlainRunner {
    /// Compiles `bytes` on an engine with on-demand allocation.
    pub fn new(bytes: &[u8]) -> Result<Self, RuntimeError> {
        let config = RuntimeConfig::default();
        let engine = super::engine_with(&config, InstanceAllocationStrategy::OnDemand)?;
        super::spawn_epoch_ticker(&engine);
        let component =
            Component::new(&engine, bytes).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        Ok(PlainRunner {
            linker: super::linker(&engine)?,
            component,
            shared: SharedCapabilities::new(&config.capabilities),
            config,
        })
    }

    /// One call, instantiated through the linker.
    pub async fn call(
        &self,
        action: &ActionCall,
        ctx: &CallContext,
    ) -> Result<ActionOutput, CallError> {
        let instantiate = Instantiate::Linker(&self.linker, &self.component);
        let (returned, _logs, _stats) = call::run(
            instantiate,
            Invocation::Action(action, None),
            ctx,
            self.config.max_memory_bytes,
            false,
            &self.shared,
        )
        .await;
        returned.map(Returned::into_output)
    }
}
