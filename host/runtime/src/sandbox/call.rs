//! One call: a fresh store and instance, the deadline, the memory cap, the
//! captured log, and the classification of how it ended.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::Action;
use super::action::{ActionCall, ActionOutput, profile_attributes, wit_new_user};
use super::compose::{Capabilities, CapabilitySettings, SharedCapabilities};
use super::limits::{CallLimiter, CallLimits};
use super::refusal::Refusal;
use super::returned;
use crate::bindings::js::EngineExtras;
use crate::bindings::js::exports::authbox::js::compiler::SyntaxError;
use crate::bindings::{self, CustomDatabasePre, ScriptError};
use crate::capabilities::CallScope;
use crate::capabilities::log::{CallLog, LogLevel, LogLine};
use crate::share::{CallShare, Saturated};

/// What a call may use: its connection's settings of each capability (its
/// configuration, its data sources...), its limits, and its share of the
/// host.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// The connection's settings of each capability.
    pub capabilities: CapabilitySettings,
    /// The call's limits.
    pub limits: CallLimits,
    /// Whom it is for, and how many calls its tenant and connection may
    /// have in flight.
    pub share: CallShare,
}

/// How a call ended other than with success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The script answered no.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The script does not implement the action.
    #[error("the script does not implement `{0}`")]
    NotImplemented(Action),
    /// The script reported a failure.
    #[error("the script failed: {0}")]
    Failed(String),
    /// The script called `exit` instead of returning (WASI 0.2 passes only
    /// success, 0, or failure, 1).
    #[error("the script called exit (status {0}) instead of returning")]
    Exited(i32),
    /// The call ran past its deadline.
    #[error("the script ran past its {}-ms deadline", .0.as_millis())]
    Timeout(Duration),
    /// The script asked for more memory than the call may have.
    #[error("the script went over its memory limit of {0} bytes")]
    MemoryLimit(usize),
    /// The script handed the host more than a call may copy at once.
    #[error(
        "the script handed the host more than {0} bytes at once (a string or list returned, logged or passed to a capability); the host copied none of it"
    )]
    Oversized(usize),
    /// No call slot came free in time: the tenant, the connection or the
    /// host had as many calls in flight as it may.
    #[error("too many calls in flight for this {}; retry later", .0.name())]
    Busy(Saturated),
    /// The script trapped: a panic, a stack overflow, fuel exhausted...
    #[error("the script trapped: {0}")]
    Trap(String),
    /// The host could not run the call.
    #[error("the host could not run the script: {0}")]
    Host(String),
}

/// What a call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallStats {
    /// Wall-clock time, instantiation included.
    pub duration: Duration,
    /// The most linear memory the instance had at once.
    pub peak_memory_bytes: usize,
    /// Fuel burned, when the runtime meters fuel.
    pub fuel_consumed: Option<u64>,
}

/// A finished call.
#[derive(Debug, Clone)]
pub struct CallResult {
    /// What the script returned, or how it failed.
    pub outcome: Result<ActionOutput, CallError>,
    /// What it logged and printed, capped.
    pub logs: Vec<LogLine>,
    /// What it used.
    pub stats: CallStats,
}

/// The data of one call's store: WASI with nothing granted, the capabilities
/// and the limiter.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: CallLimiter,
    capabilities: Capabilities,
    /// The bytecode a JavaScript call runs (see `javascript.rs`).
    js_code: Option<Arc<[u8]>>,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::authbox::script::types::Host for CallState {}

impl CallState {
    /// The capabilities' states and the table they share with WASI.
    pub(super) fn capabilities_and_table(&mut self) -> (&mut Capabilities, &mut ResourceTable) {
        (&mut self.capabilities, &mut self.table)
    }

    /// The bytecode this call's JavaScript engine runs.
    pub(super) fn js_code(&self) -> Option<&[u8]> {
        self.js_code.as_deref()
    }

    /// No files, no environment, no arguments, no network, no stdin;
    /// stdout and stderr go to the call's capped log. Clocks and randomness work.
    pub(super) fn new(
        ctx: &CallContext,
        shared: &SharedCapabilities,
        scope: &CallScope<'_>,
        memory_cap: usize,
        js_code: Option<Arc<[u8]>>,
    ) -> Self {
        let log = scope.log;
        let wasi = WasiCtxBuilder::new()
            .stdout(log.stream(LogLevel::Stdout))
            .stderr(log.stream(LogLevel::Stderr))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: CallLimiter::new(memory_cap),
            capabilities: Capabilities::for_call(&ctx.capabilities, shared, scope),
            js_code,
        }
    }
}

/// What the guest returned: an action's output, its `implemented` list, or
/// (the JavaScript engine) a compiled source.
pub(crate) enum Returned {
    Output(ActionOutput),
    Implemented(Vec<Action>),
    Compiled(Result<Vec<u8>, SyntaxError>),
}

impl Returned {
    /// The output of an action call.
    pub(crate) fn into_output(self) -> ActionOutput {
        match self {
            Returned::Output(output) => output,
            Returned::Implemented(_) | Returned::Compiled(_) => {
                unreachable!("an action call returns its output")
            }
        }
    }
}

/// How to make the fresh instance.
#[derive(Clone, Copy)]
pub(crate) enum Instantiate<'a> {
    /// From the script's `InstancePre`: imports resolved at load time.
    Pre(&'a CustomDatabasePre<CallState>),
    /// The plain way, kept as the benchmarks' baseline: the linker resolves
    /// every import on every call.
    Linker(&'a Linker<CallState>, &'a Component),
}

impl Instantiate<'_> {
    fn engine(&self) -> &Engine {
        match self {
            Instantiate::Pre(pre) => pre.engine(),
            Instantiate::Linker(_, component) => component.engine(),
        }
    }

    async fn instantiate(
        self,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<bindings::CustomDatabase> {
        match self {
            Instantiate::Pre(pre) => pre.instantiate_async(store).await,
            Instantiate::Linker(linker, component) => {
                bindings::CustomDatabase::instantiate_async(store, component, linker).await
            }
        }
    }
}

/// What to invoke on a fresh instance.
pub(crate) enum Invocation<'a> {
    /// An action; for JavaScript, with the action's bytecode.
    Action(&'a ActionCall, Option<Arc<[u8]>>),
    Implemented,
    /// The JavaScript engine's compiler.
    Compile {
        file: &'a str,
        source: &'a str,
    },
}

/// Runs `invocation` in a fresh instance of `pre` under `ctx`'s limits.
pub(crate) async fn run(
    pre: Instantiate<'_>,
    invocation: Invocation<'_>,
    ctx: &CallContext,
    memory_ceiling: usize,
    fuel_metering: bool,
    shared: &SharedCapabilities,
) -> (Result<Returned, CallError>, Vec<LogLine>, CallStats) {
    let started = Instant::now();
    let limits = ctx.limits;
    let memory_cap = limits.memory_bytes.min(memory_ceiling);
    let log = CallLog::new(limits.log_bytes);
    let deadline = started + limits.timeout;
    let scope = CallScope {
        owner: &ctx.share.owner,
        deadline,
        log: &log,
    };
    let js_code = match &invocation {
        Invocation::Action(_, code) => code.clone(),
        _ => None,
    };
    let mut store = new_store(
        pre.engine(),
        CallState::new(ctx, shared, &scope, memory_cap, js_code),
        &limits,
        deadline,
    );
    let fuel = limits.fuel.unwrap_or(u64::MAX);
    if fuel_metering {
        // Cannot fail: fuel is enabled on the engine.
        let _ = store.set_fuel(fuel);
    }

    let invoked = tokio::time::timeout(limits.timeout, invoke(pre, &mut store, invocation)).await;
    let state = store.data();
    let outcome = match invoked {
        Err(_elapsed) => Err(CallError::Timeout(limits.timeout)),
        Ok(Ok(Ok(returned))) => Ok(returned),
        // An engine that survives a refused allocation (JavaScript's "out of
        // memory") reports a failure; the cause is the memory limit.
        Ok(Ok(Err(CallError::Failed(_)))) if state.limiter.memory_cap_hit => {
            Err(CallError::MemoryLimit(memory_cap))
        }
        Ok(Ok(Err(refusal))) => Err(refusal),
        Ok(Err(_)) if state.limiter.memory_cap_hit => Err(CallError::MemoryLimit(memory_cap)),
        Ok(Err(error)) => Err(classify(error, &limits)),
    };
    let stats = CallStats {
        duration: started.elapsed(),
        peak_memory_bytes: state.limiter.peak_memory,
        fuel_consumed: fuel_metering.then(|| fuel - store.get_fuel().unwrap_or(fuel)),
    };
    (outcome, log.finish(), stats)
}

/// A store for one call: its memory limiter, the bound on what the guest
/// hands the host at once, and its deadline.
pub(super) fn new_store(
    engine: &Engine,
    state: CallState,
    limits: &CallLimits,
    deadline: Instant,
) -> Store<CallState> {
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limiter);
    // Whatever the script hands over (a returned string, a log line, a
    // capability's arguments) is measured against this before the host
    // copies any of it.
    store.set_hostcall_fuel(limits.transfer_bytes);
    // At every epoch tick a running script yields to the async runtime (so a
    // spinning script never holds a thread others need) and, once past its
    // deadline, is interrupted.
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= deadline {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
    store
}

async fn invoke(
    pre: Instantiate<'_>,
    store: &mut Store<CallState>,
    invocation: Invocation<'_>,
) -> wasmtime::Result<Result<Returned, CallError>> {
    if let (Invocation::Compile { file, source }, Instantiate::Pre(pre)) = (&invocation, pre) {
        let instance = pre.instance_pre().instantiate_async(&mut *store).await?;
        let engine = EngineExtras::new(&mut *store, &instance)?;
        let compiled = engine
            .authbox_js_compiler()
            .call_compile(&mut *store, file, source)
            .await?;
        return Ok(Ok(Returned::Compiled(compiled)));
    }
    let instance = pre.instantiate(store).await?;
    let actions = instance.authbox_script_actions();
    let call = match invocation {
        Invocation::Implemented => {
            let list = actions.call_implemented(&mut *store).await?;
            return Ok(Ok(Returned::Implemented(
                list.into_iter().map(Action::from).collect(),
            )));
        }
        Invocation::Compile { .. } => {
            return Err(wasmtime::format_err!("only the JavaScript engine compiles"));
        }
        Invocation::Action(call, _) => call,
    };
    let action = call.action();
    let returned = match call {
        ActionCall::Login {
            username_or_email,
            password,
        } => actions
            .call_login(&mut *store, username_or_email, password)
            .await?
            .map(|p| ActionOutput::Profile(profile_attributes(p))),
        ActionCall::GetUser { email } => actions
            .call_get_user(&mut *store, email)
            .await?
            .map(|p| ActionOutput::MaybeProfile(p.map(profile_attributes))),
        ActionCall::Create(user) => actions
            .call_create(&mut *store, &wit_new_user(user))
            .await?
            .map(|()| ActionOutput::Done),
        ActionCall::Verify { email } => actions
            .call_verify(&mut *store, email)
            .await?
            .map(ActionOutput::Bool),
        ActionCall::ChangePassword {
            email,
            new_password,
        } => actions
            .call_change_password(&mut *store, email, new_password)
            .await?
            .map(ActionOutput::Bool),
        ActionCall::Delete { user_id } => actions
            .call_delete(&mut *store, user_id)
            .await?
            .map(|()| ActionOutput::Done),
        ActionCall::ChangeEmail {
            email,
            new_email,
            verified,
        } => actions
            .call_change_email(&mut *store, email, new_email, *verified)
            .await?
            .map(ActionOutput::Bool),
    };
    Ok(returned
        .map(Returned::Output)
        .map_err(|e| refusal(e, action)))
}

/// The script's error, its texts cut to what the host keeps of them.
fn refusal(error: ScriptError, action: Action) -> CallError {
    use returned::{cut_code, cut_message};
    match error {
        ScriptError::WrongCredentials(w) => CallError::Refused(Refusal::WrongCredentials {
            user_id: w.user_id.map(cut_code),
            message: w.message.map(cut_message),
        }),
        ScriptError::Unauthorized(m) => CallError::Refused(Refusal::Unauthorized(cut_message(m))),
        ScriptError::UserExists => CallError::Refused(Refusal::UserExists),
        ScriptError::Validation(v) => CallError::Refused(Refusal::Validation {
            code: cut_code(v.code),
            message: cut_message(v.message),
        }),
        ScriptError::NotImplemented => CallError::NotImplemented(action),
        ScriptError::Failed(m) => CallError::Failed(cut_message(m)),
    }
}

/// Names a wasmtime error: a deadline, an exit, too much handed over, a
/// trap or a host failure.
fn classify(error: wasmtime::Error, limits: &CallLimits) -> CallError {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return CallError::Exited(exit.0);
    }
    if returned::is_transfer_cap(&error) {
        return CallError::Oversized(limits.transfer_bytes);
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Timeout(limits.timeout),
        Some(Trap::StackOverflow) => {
            CallError::Trap("stack overflow (the script recursed too deeply)".into())
        }
        Some(Trap::OutOfFuel) => CallError::Trap("fuel exhausted".into()),
        Some(Trap::UnreachableCodeReached) => CallError::Trap(
            "wasm `unreachable` executed (a Rust script panicked or aborted; see its stderr)"
                .into(),
        ),
        Some(trap) => CallError::Trap(trap.to_string()),
        None => CallError::Host(format!("{error:#}")),
    }
}
