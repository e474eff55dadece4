//! The JavaScript engine's snapshot: the engine component instantiated once,
//! its `wizer-initialize` run (the QuickJS runtime made, the Node shims
//! evaluated), and its memory and globals written back into a component
//! (`wasmtime-wizer`) whose calls start from there. Nothing of a call is in
//! it: the engine reads the connection's configuration and seeds
//! `Math.random` at call time.
//!
//! The initialization export stays in the snapshot: wasmtime-wizer 48 drops
//! the core export a component-level init function is lifted from but not
//! the lift, which leaves an invalid component. It is inert: the host never
//! calls it on a snapshot, and the engine initializes only once anyway.

use std::time::{Duration, Instant};

use wasmtime::component::{Component, ComponentExportIndex, Instance, Lift, Linker, WasmList};
use wasmtime::{Engine, Store};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

use super::call::{self, CallState};
use super::compose::SharedCapabilities;
use super::{CallContext, CallLimits};
use crate::capabilities::CallScope;
use crate::capabilities::log::CallLog;

/// The export the engine initializes itself in.
const INIT: &str = "wizer-initialize";

/// How long initializing the engine may take (it takes milliseconds).
const INIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The engine component `wasm`, snapshotted after its initialization.
pub(super) async fn snapshot(
    engine: &Engine,
    linker: &Linker<CallState>,
    shared: &SharedCapabilities,
    wasm: &[u8],
) -> Result<Vec<u8>, String> {
    let mut wizer = Wizer::new();
    wizer.keep_init_func(true);
    let (context, instrumented) = wizer
        .instrument_component(wasm)
        .map_err(|e| format!("instrumenting the engine: {e:#}"))?;
    let compiling = engine.clone();
    let component = tokio::task::spawn_blocking(move || Component::new(&compiling, instrumented))
        .await
        .map_err(|e| format!("compiling the engine: {e}"))?
        .map_err(|e| format!("compiling the engine: {e:#}"))?;

    let ctx = CallContext {
        limits: CallLimits {
            timeout: INIT_TIMEOUT,
            ..CallLimits::default()
        },
        ..CallContext::default()
    };
    let log = CallLog::new(ctx.limits.log_bytes);
    let deadline = Instant::now() + INIT_TIMEOUT;
    let scope = CallScope {
        owner: &ctx.share.owner,
        deadline,
        log: &log,
    };
    let state = CallState::new(&ctx, shared, &scope, ctx.limits.memory_bytes, None);
    let mut store = call::new_store(engine, state, &ctx.limits, deadline);
    let instance = linker
        .instantiate_async(&mut store, &component)
        .await
        .map_err(|e| format!("instantiating the engine: {e:#}"))?;
    let init = instance
        .get_typed_func::<(), ()>(&mut store, INIT)
        .map_err(|e| format!("the engine has no `{INIT}`: {e:#}"))?;
    init.call_async(&mut store, ())
        .await
        .map_err(|e| format!("initializing the engine: {e:#} {:?}", log.finish()))?;
    // Wizer reads the whole memory back in one list: no cap on what crosses.
    store.set_hostcall_fuel(usize::MAX);
    wizer
        .snapshot_component(&context, &mut Initialized { store, instance })
        .await
        .map_err(|e| format!("snapshotting the engine: {e:#}"))
}

/// The initialized instance, read by wizer through the accessors its
/// instrumentation exported.
struct Initialized {
    store: Store<CallState>,
    instance: Instance,
}

impl Initialized {
    fn export(&mut self, instance: &str, func: &str) -> ComponentExportIndex {
        let parent = self
            .instance
            .get_export_index(&mut self.store, None, instance)
            .unwrap_or_else(|| panic!("wizer's instrumentation exports `{instance}`"));
        self.instance
            .get_export_index(&mut self.store, Some(&parent), func)
            .unwrap_or_else(|| panic!("wizer's instrumentation exports `{instance}#{func}`"))
    }

    async fn call<R: Lift + Send + Sync + 'static>(&mut self, instance: &str, func: &str) -> R {
        let index = self.export(instance, func);
        let func = self
            .instance
            .get_typed_func::<(), (R,)>(&mut self.store, index)
            .expect("wizer's accessors have the types it reads");
        let (value,) = func
            .call_async(&mut self.store, ())
            .await
            .expect("wizer's accessors read state");
        value
    }
}

impl ComponentInstanceState for Initialized {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        let index = self.export(instance, func);
        let func = self
            .instance
            .get_typed_func::<(), (WasmList<u8>,)>(&mut self.store, index)
            .expect("wizer's accessors have the types it reads");
        let (list,) = func
            .call_async(&mut self.store, ())
            .await
            .expect("wizer's accessors read state");
        contents(list.as_le_slice(&self.store));
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func).await
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func).await
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call::<f32>(instance, func).await.to_bits()
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call::<f64>(instance, func).await.to_bits()
    }
}
