//! Hostile scripts: each attack ends in its own named outcome, promptly, and
//! the host keeps serving (a normal call on the same script, and on another
//! script, succeeds right after).

use std::time::{Duration, Instant};

use crate::common::*;
use authbox::runtime::capabilities::log::LogLevel;
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{CallContext, CallLimits, Runtime, Script};
use authbox_tests::{HOSTILE, TRIVIAL};

struct Host {
    runtime: Runtime,
    hostile: Script,
    trivial: Script,
}

async fn host() -> Host {
    let runtime = runtime();
    let hostile = load(&runtime, HOSTILE).await;
    let trivial = load(&runtime, TRIVIAL).await;
    Host {
        runtime,
        hostile,
        trivial,
    }
}

impl Host {
    async fn attack(&self, username: &str, ctx: &CallContext) -> Report {
        let report = report(&self.runtime, &self.hostile, login(username, "x"), ctx).await;
        assert_still_serving(&self.runtime, &self.hostile).await;
        assert_still_serving(&self.runtime, &self.trivial).await;
        report
    }
}

#[tokio::test]
async fn an_infinite_loop_times_out_promptly() {
    let host = host().await;
    let ctx = context(&[], Duration::from_millis(200));
    let started = Instant::now();
    let report = report(&host.runtime, &host.hostile, login("loop", "x"), &ctx).await;
    let took = started.elapsed();
    assert_eq!(report.outcome, Outcome::Timeout, "{report:?}");
    assert!(report.error.unwrap().message.contains("200-ms deadline"));
    assert!(
        took < Duration::from_secs(3),
        "a 200 ms deadline took {took:?}"
    );
    assert_still_serving(&host.runtime, &host.hostile).await;
}

#[tokio::test]
async fn other_calls_go_on_while_a_script_spins() {
    let host = host().await;
    let ctx = context(&[], Duration::from_secs(3));
    let spinning = report(&host.runtime, &host.hostile, login("loop", "x"), &ctx);
    let normal_calls = async {
        for _ in 0..20 {
            assert_still_serving(&host.runtime, &host.trivial).await;
        }
        Instant::now()
    };
    let (spun, served_at) = tokio::join!(async { (spinning.await, Instant::now()) }, normal_calls);
    assert_eq!(spun.0.outcome, Outcome::Timeout);
    assert!(
        served_at < spun.1,
        "the normal calls finished only after the spinning one"
    );
}

#[tokio::test]
async fn unbounded_memory_growth_hits_the_memory_limit() {
    let host = host().await;
    let ctx = CallContext {
        limits: CallLimits {
            memory_bytes: 16 << 20,
            ..CallLimits::default()
        },
        ..CallContext::default()
    };
    let report = host.attack("grow", &ctx).await;
    assert_eq!(report.outcome, Outcome::MemoryLimit, "{report:?}");
    assert!(report.stats.peak_memory_bytes <= 16 << 20);
    assert!(
        report.stats.peak_memory_bytes > 8 << 20,
        "it did grow: {:?}",
        report.stats
    );
}

#[tokio::test]
async fn unbounded_recursion_traps_with_stack_overflow() {
    let host = host().await;
    let report = host.attack("recurse", &CallContext::default()).await;
    assert_eq!(report.outcome, Outcome::Trap, "{report:?}");
    assert!(report.error.unwrap().message.contains("stack overflow"));
}

#[tokio::test]
async fn a_panic_traps_with_its_message_in_the_logs() {
    let host = host().await;
    let report = host.attack("panic", &CallContext::default()).await;
    assert_eq!(report.outcome, Outcome::Trap, "{report:?}");
    let stderr: Vec<_> = report
        .logs
        .iter()
        .filter(|l| l.level == LogLevel::Stderr)
        .collect();
    assert!(
        stderr
            .iter()
            .any(|l| l.message.contains("hostile panic: the script gave up")),
        "{:?}",
        report.logs
    );
}

#[tokio::test]
async fn exit_is_an_error() {
    let host = host().await;
    let report = host.attack("exit", &CallContext::default()).await;
    assert_eq!(report.outcome, Outcome::Error, "{report:?}");
    assert!(report.error.unwrap().message.contains("called exit"));
}

#[tokio::test]
async fn invalid_profiles_name_the_field() {
    let host = host().await;
    for (username, field) in [
        ("bad-email", "email"),
        ("no-id", "user_id"),
        ("huge", "blob"),
    ] {
        let report = host.attack(username, &CallContext::default()).await;
        assert_eq!(
            report.outcome,
            Outcome::InvalidProfile,
            "{username}: {report:?}"
        );
        assert_eq!(report.profile, None);
        assert_eq!(
            report.error.unwrap().field.as_deref(),
            Some(field),
            "{username}"
        );
    }
}

#[tokio::test]
async fn files_environment_and_sockets_are_denied() {
    let host = host().await;
    for what in ["file", "env", "socket"] {
        let report = host.attack(what, &CallContext::default()).await;
        assert_eq!(report.outcome, Outcome::Error, "{what}: {report:?}");
        let message = report.error.unwrap().message;
        assert!(
            message.contains(&format!("{what} denied")),
            "{what}: the script saw no error: {message}"
        );
    }
}

#[tokio::test]
async fn every_call_runs_in_a_fresh_instance() {
    let host = host().await;
    for _ in 0..3 {
        let report = report(
            &host.runtime,
            &host.hostile,
            login("count", "x"),
            &CallContext::default(),
        )
        .await;
        assert_eq!(
            report.profile.unwrap().extra["calls"],
            1,
            "state leaked from an earlier call"
        );
    }
}

#[tokio::test]
async fn fuel_runs_out() {
    let runtime = Runtime::new(authbox::runtime::RuntimeConfig {
        fuel_metering: true,
        ..Default::default()
    })
    .unwrap();
    let hostile = load(&runtime, HOSTILE).await;
    let ctx = CallContext {
        limits: CallLimits {
            fuel: Some(5_000_000),
            ..CallLimits::default()
        },
        ..CallContext::default()
    };
    let report = report(&runtime, &hostile, login("loop", "x"), &ctx).await;
    assert_eq!(report.outcome, Outcome::Trap, "{report:?}");
    assert!(report.error.unwrap().message.contains("fuel exhausted"));
    assert_eq!(report.stats.fuel_consumed, Some(5_000_000));
    let normal = report_ok(&runtime, &hostile, &ctx).await;
    assert!(normal.stats.fuel_consumed.unwrap() > 0);
}

async fn report_ok(runtime: &Runtime, script: &Script, ctx: &CallContext) -> Report {
    let report = report(runtime, script, login("ok@example.com", "x"), ctx).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    report
}

#[tokio::test]
async fn what_a_script_hands_over_past_the_transfer_cap_is_refused_before_it_is_copied() {
    let host = host().await;
    for username in [
        "huge-error",
        "huge-unauthorized",
        "huge-user-id",
        "huge-log",
    ] {
        let report = host.attack(username, &CallContext::default()).await;
        assert_eq!(report.outcome, Outcome::Oversized, "{username}: {report:?}");
        let message = report.error.unwrap().message;
        assert!(
            message.contains("more than 1048576 bytes at once"),
            "{username}: {message}"
        );
        assert!(
            message.len() < 512,
            "{username}: the message is {} bytes",
            message.len()
        );
        let kept: usize = report.logs.iter().map(|l| l.message.len()).sum();
        assert!(kept < 1024, "{username}: {kept} bytes of logs kept");
    }
}

#[tokio::test]
async fn long_messages_are_cut_with_a_mark() {
    let host = host().await;
    let report = host.attack("long-error", &CallContext::default()).await;
    assert_eq!(report.outcome, Outcome::Error, "{report:?}");
    let message = report.error.unwrap().message;
    assert!(message.len() < 1200, "{} bytes kept", message.len());
    assert!(
        message.ends_with(&format!(
            "… [cut by authbox: {} more bytes]",
            (100 << 10) - 1024
        )),
        "{message}"
    );
}
