//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use authbox::runtime::profile::ProfileSource;
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{
    ActionCall, CallContext, CallLimits, CapabilitySettings, Runtime, RuntimeConfig, Script,
};

/// A runtime whose artifact cache the JavaScript tests share: the engine's
/// snapshot is made once, not in every test.
pub fn js_runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_calls: 32,
        cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("artifacts")),
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// Whether this build cannot run JavaScript (then the test says so and
/// passes). CI sets `AUTHBOX_TEST_REQUIRE_JAVASCRIPT`: there it fails.
pub fn javascript_unavailable(test: &str) -> bool {
    match authbox::runtime::javascript_support() {
        Ok(()) => false,
        Err(reason) => {
            assert!(
                std::env::var_os("AUTHBOX_TEST_REQUIRE_JAVASCRIPT").is_none(),
                "AUTHBOX_TEST_REQUIRE_JAVASCRIPT is set, but {reason}"
            );
            eprintln!("SKIPPED {test}: {reason}");
            true
        }
    }
}

/// `login_source` loaded as a JavaScript script's `login`, called for Ada
/// (password `pw`).
pub async fn js_login(runtime: &Runtime, login_source: &str, ctx: &CallContext) -> Report {
    let mut sources = authbox::runtime::JsSources::new();
    sources.insert(authbox::runtime::Action::Login, login_source);
    let script = runtime
        .load(&sources.to_bytes())
        .await
        .unwrap_or_else(|e| panic!("the JavaScript loads: {e}"));
    report(runtime, &script, login("ada@example.com", "pw"), ctx).await
}

pub fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_calls: 32,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

pub async fn load(runtime: &Runtime, path: &str) -> Script {
    let bytes = std::fs::read(path).expect("guest built by tests/build.rs");
    runtime.load(&bytes).await.expect("a valid script")
}

pub fn login(username: &str, password: &str) -> ActionCall {
    ActionCall::Login {
        username_or_email: username.into(),
        password: password.into(),
    }
}

pub fn context(config: &[(&str, &str)], timeout: Duration) -> CallContext {
    let config: BTreeMap<String, String> = config
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    CallContext {
        capabilities: CapabilitySettings {
            config: Arc::new(config),
            ..CapabilitySettings::default()
        },
        limits: CallLimits {
            timeout,
            ..CallLimits::default()
        },
        ..CallContext::default()
    }
}

pub async fn report(
    runtime: &Runtime,
    script: &Script,
    call: ActionCall,
    ctx: &CallContext,
) -> Report {
    let action = call.action();
    let result = runtime.call(script, &call, ctx).await;
    Report::new(action, result, &ProfileSource::default())
}

/// The normal call that must still succeed after a hostile one.
pub async fn assert_still_serving(runtime: &Runtime, script: &Script) {
    let report = report(
        runtime,
        script,
        login("ok@example.com", "secret"),
        &CallContext::default(),
    )
    .await;
    assert_eq!(
        report.outcome,
        Outcome::Ok,
        "a normal call after a hostile one: {report:?}"
    );
    assert_eq!(
        report.profile.unwrap().email.as_deref(),
        Some("ok@example.com")
    );
}

pub fn logs_text(report: &Report) -> String {
    report
        .logs
        .iter()
        .map(|l| l.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
