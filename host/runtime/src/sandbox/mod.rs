//! The sandbox: one [`Runtime`] per process (one wasmtime `Engine` with the
//! pooling allocator and an epoch ticker), one [`Script`] per loaded
//! component (an `InstancePre`: imports resolved once), and a fresh instance
//! for every call, under [`CallLimits`].

mod action;
mod artifact_cache;
mod baseline;
mod call;
mod compose;
mod javascript;
mod js_snapshot;
mod limits;
mod refusal;
mod returned;
mod script;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use action::{Action, ActionCall, ActionOutput, NewUser};
pub use baseline::PlainRunner;
pub use call::{CallContext, CallError, CallResult, CallState, CallStats};
pub use compose::{CapabilityConfig, CapabilitySettings, INTERFACES, SharedCapabilities};
pub use javascript::{JsSources, MAX_SOURCE_BYTES, javascript_support};
pub use limits::CallLimits;
pub use refusal::Refusal;
pub use returned::{DEFAULT_TRANSFER_BYTES, MAX_CODE_BYTES, MAX_MESSAGE_BYTES};
pub use script::{
    ACTIONS_EXPORT, DEFAULT_MAX_SCRIPT_BYTES, Language, LoadError, Script, ScriptInfo,
};

use crate::bindings::{self, CustomDatabasePre};
use crate::capabilities::log::LogLine;
use crate::share::{FairPool, PoolStats};
use artifact_cache::ArtifactCache;
use call::{Instantiate, Invocation, Returned};
use compose::Capabilities;
use javascript::JsEngine;

/// How often the epoch ticker advances: how often a running script yields,
/// and the granularity of deadlines.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Linear memory per pool slot that is reset in place rather than released.
const KEEP_RESIDENT_MEMORY: usize = 4 << 20;

/// Table bytes per pool slot that are reset in place rather than released.
const KEEP_RESIDENT_TABLES: usize = 256 << 10;

/// Process-wide settings of the sandbox.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Calls that may run at once (the size of the instance pool); more
    /// wait, served in turns across tenants.
    pub max_concurrent_calls: u32,
    /// How long a call may wait for a slot (never past its own timeout)
    /// before it is refused as [`CallError::Busy`].
    pub max_queue_wait: Duration,
    /// The most linear memory any call may be given; per-call limits above it are cut to it.
    pub max_memory_bytes: usize,
    /// The wasm stack of a call; deeper recursion traps with "stack overflow".
    pub max_wasm_stack_bytes: usize,
    /// Count fuel (instructions, roughly) for reports and `CallLimits::fuel`; costs some speed.
    pub fuel_metering: bool,
    /// Where precompiled scripts are kept; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// The size cap on a script.
    pub max_script_bytes: usize,
    /// Each capability's process-wide settings (e.g. how many password
    /// hashes run at once).
    pub capabilities: CapabilityConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            max_concurrent_calls: 128,
            max_queue_wait: Duration::from_secs(3),
            max_memory_bytes: 256 << 20,
            max_wasm_stack_bytes: 512 << 10,
            fuel_metering: false,
            cache_dir: None,
            max_script_bytes: DEFAULT_MAX_SCRIPT_BYTES,
            capabilities: CapabilityConfig::default(),
        }
    }
}

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine refused the configuration.
    #[error("could not create the WebAssembly engine: {0}")]
    Engine(String),
    /// The artifact cache directory is unusable.
    #[error("could not use the artifact cache directory {path}: {source}")]
    Cache {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The sandbox; cheap to clone, shared by every call.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<CallState>,
    slots: FairPool,
    shared: SharedCapabilities,
    cache: Option<ArtifactCache>,
    config: RuntimeConfig,
    /// The JavaScript engine, compiled on first use.
    js: tokio::sync::OnceCell<Result<JsEngine, LoadError>>,
}

fn engine(config: &RuntimeConfig) -> Result<Engine, RuntimeError> {
    engine_with(config, pooling(config))
}

/// The instance pool: sized for `max_concurrent_calls` calls at once.
fn pooling(config: &RuntimeConfig) -> InstanceAllocationStrategy {
    let calls = config.max_concurrent_calls.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(calls)
        .total_core_instances(calls * 16)
        .total_memories(calls * 2)
        .total_tables(calls * 8)
        .total_stacks(calls)
        .max_memory_size(config.max_memory_bytes)
        // Reset a used slot by rewriting only its dirty pages (found with
        // PAGEMAP_SCAN where the kernel has it) instead of `madvise`, whose
        // TLB shootdowns and later page faults dominated the cost of a call.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT_MEMORY)
        .table_keep_resident(KEEP_RESIDENT_TABLES);
    InstanceAllocationStrategy::Pooling(pool)
}

fn engine_with(
    config: &RuntimeConfig,
    allocation: InstanceAllocationStrategy,
) -> Result<Engine, RuntimeError> {
    let mut wasm = Config::new();
    wasm.epoch_interruption(true)
        .consume_fuel(config.fuel_metering)
        .max_wasm_stack(config.max_wasm_stack_bytes)
        .async_stack_size(config.max_wasm_stack_bytes + (1 << 20))
        .allocation_strategy(allocation);
    Engine::new(&wasm).map_err(|e| RuntimeError::Engine(format!("{e:#}")))
}

/// A linker with WASI (nothing granted), the contract's types and every
/// authbox capability.
fn linker(engine: &Engine) -> Result<Linker<CallState>, RuntimeError> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)
        .and_then(|()| {
            bindings::authbox::script::types::add_to_linker::<_, HasSelf<_>>(
                &mut linker,
                |state: &mut CallState| state,
            )
        })
        .and_then(|()| Capabilities::add_to_linker(&mut linker))
        .and_then(|()| {
            bindings::js::authbox::js::code::add_to_linker::<_, HasSelf<_>>(
                &mut linker,
                |state: &mut CallState| state,
            )
        })
        .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
    Ok(linker)
}

/// Advances the engine's epoch until the engine is gone.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("authbox-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch ticker thread");
}

impl Runtime {
    /// Starts a runtime.
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        let engine = engine(&config)?;
        let linker = linker(&engine)?;
        let cache =
            match &config.cache_dir {
                Some(dir) => Some(ArtifactCache::new(dir, &engine).map_err(|source| {
                    RuntimeError::Cache {
                        path: dir.clone(),
                        source,
                    }
                })?),
                None => None,
            };
        spawn_epoch_ticker(&engine);
        let inner = Inner {
            slots: FairPool::new(config.max_concurrent_calls as usize),
            shared: SharedCapabilities::new(&config.capabilities),
            engine,
            linker,
            cache,
            config,
            js: tokio::sync::OnceCell::new(),
        };
        Ok(Runtime {
            inner: Arc::new(inner),
        })
    }

    /// The runtime's settings.
    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    /// Loads a script: a component, or the JavaScript sources
    /// [`JsSources::to_bytes`] made (see [`load_javascript`](Self::load_javascript)).
    pub async fn load(&self, bytes: &[u8]) -> Result<Script, LoadError> {
        match JsSources::from_bytes(bytes) {
            Some(sources) => self.load_javascript(&sources?).await,
            None => self.load_component(bytes).await,
        }
    }

    /// Loads a component: checks, compiles (or takes the cached artifact),
    /// checks it against the world and asks it which actions it implements.
    pub async fn load_component(&self, bytes: &[u8]) -> Result<Script, LoadError> {
        let started = Instant::now();
        script::check_format(bytes, self.inner.config.max_script_bytes)?;
        let sha256 = script::sha256_hex(bytes);
        let (component, compiled) = self.compile(bytes, &sha256).await?;
        let imports = script::check_world(&component)?;
        let pre = self.instantiate_pre(&component)?;
        if compiled && let Some(cache) = &self.inner.cache {
            cache.put(&sha256, &component);
        }
        let (returned, _logs, _stats) = self
            .run(
                Instantiate::Pre(&pre),
                Invocation::Implemented,
                &CallContext::default(),
            )
            .await;
        let actions = match returned {
            Ok(Returned::Implemented(actions)) => actions,
            Ok(_) => unreachable!("`implemented` returns the action list"),
            Err(e) => return Err(LoadError::Implemented(e.to_string())),
        };
        if !actions.contains(&Action::Login) || !actions.contains(&Action::GetUser) {
            return Err(LoadError::Implemented(format!(
                "it lists {:?}, but `login` and `get-user` are required",
                actions.iter().map(|a| a.name()).collect::<Vec<_>>()
            )));
        }
        let info = ScriptInfo {
            sha256,
            size_bytes: bytes.len(),
            actions,
            imports,
            language: Language::Wasm,
            compiled,
            load_time: started.elapsed(),
        };
        Ok(Script::new(pre, info))
    }

    /// The compiled component: from the artifact cache, or compiled now
    /// (`true`) off the async threads.
    async fn compile(&self, bytes: &[u8], sha256: &str) -> Result<(Component, bool), LoadError> {
        if let Some(component) = self
            .inner
            .cache
            .as_ref()
            .and_then(|c| c.get(&self.inner.engine, sha256))
        {
            return Ok((component, false));
        }
        let engine = self.inner.engine.clone();
        let owned = bytes.to_vec();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, owned))
            .await
            .map_err(|e| LoadError::Invalid(format!("compilation task failed: {e}")))?
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        Ok((component, true))
    }

    /// Resolves a component's imports against the linker, once.
    fn instantiate_pre(
        &self,
        component: &Component,
    ) -> Result<CustomDatabasePre<CallState>, LoadError> {
        let instance_pre = self
            .inner
            .linker
            .instantiate_pre(component)
            .map_err(|e| LoadError::WorldMismatch(format!("{e:#}")))?;
        CustomDatabasePre::new(instance_pre).map_err(|e| LoadError::WorldMismatch(format!("{e:#}")))
    }

    /// What the process holds for each capability, shared with every call:
    /// e.g. the password hasher (bounded, off the async threads).
    pub fn capabilities(&self) -> &SharedCapabilities {
        &self.inner.shared
    }

    /// The call slots held and waited for, per tenant.
    pub fn slot_stats(&self) -> PoolStats {
        self.inner.slots.stats()
    }

    /// Calls one action of `script` in a fresh instance.
    pub async fn call(&self, script: &Script, call: &ActionCall, ctx: &CallContext) -> CallResult {
        let (returned, logs, stats) = self
            .run(
                Instantiate::Pre(&script.pre),
                Invocation::Action(call, script.code(call.action())),
                ctx,
            )
            .await;
        let outcome = returned.map(Returned::into_output);
        CallResult {
            outcome,
            logs,
            stats,
        }
    }

    async fn run(
        &self,
        pre: Instantiate<'_>,
        invocation: Invocation<'_>,
        ctx: &CallContext,
    ) -> (Result<Returned, CallError>, Vec<LogLine>, CallStats) {
        // Waiting for a slot counts against the call's deadline.
        let started = Instant::now();
        let wait = self.inner.config.max_queue_wait.min(ctx.limits.timeout);
        let share = &ctx.share;
        let _slot = match self
            .inner
            .slots
            .acquire_within(&share.owner, share.calls, wait)
            .await
        {
            Ok(slot) => slot,
            Err(saturated) => {
                let stats = CallStats {
                    duration: started.elapsed(),
                    ..CallStats::default()
                };
                return (Err(CallError::Busy(saturated)), Vec::new(), stats);
            }
        };
        let mut ctx_left = ctx.clone();
        ctx_left.limits.timeout = ctx.limits.timeout.saturating_sub(started.elapsed());
        let (outcome, logs, mut stats) = call::run(
            pre,
            invocation,
            &ctx_left,
            self.inner.config.max_memory_bytes,
            self.inner.config.fuel_metering,
            &self.inner.shared,
        )
        .await;
        stats.duration = started.elapsed();
        let outcome = outcome.map_err(|e| match e {
            CallError::Timeout(_) => CallError::Timeout(ctx.limits.timeout),
            other => other,
        });
        (outcome, logs, stats)
    }
}
