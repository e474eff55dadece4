//! What a script hands the host costs the host a bounded amount of memory:
//! a script writing 100 MB to stdout (the log is capped and the cut marked)
//! and scripts returning or logging 50 MB strings (refused before they are
//! copied). One test, alone in its binary, so that the process's peak
//! memory is its own.

#[path = "all/common.rs"]
mod common;

use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{CallContext, CallLimits, DEFAULT_TRANSFER_BYTES};
use authbox_tests::HOSTILE;
use common::*;

/// The process's peak resident memory, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Calls at once in the second half.
const AT_ONCE: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_script_hands_the_host_is_bounded() {
    let runtime = runtime();
    let hostile = load(&runtime, HOSTILE).await;
    assert_still_serving(&runtime, &hostile).await;
    let before = peak_rss();

    let flooded = report(
        &runtime,
        &hostile,
        login("flood", "x"),
        &CallContext::default(),
    )
    .await;

    assert_eq!(flooded.outcome, Outcome::Ok, "{flooded:?}");
    let kept: usize = flooded.logs.iter().map(|l| l.message.len()).sum();
    let marker = flooded.logs.last().unwrap();
    assert!(marker.message.contains("log output cut"), "{marker:?}");
    assert!(
        kept <= 64 * 1024 + marker.message.len(),
        "kept {kept} bytes"
    );
    assert!(kept >= 64 * 1024, "kept only {kept} bytes");
    if let (Some(before), Some(after)) = (before, peak_rss()) {
        let grown = after.saturating_sub(before);
        assert!(
            grown < 48 << 20,
            "100 MB of output grew the host's peak memory by {grown} bytes"
        );
    }
    assert_still_serving(&runtime, &hostile).await;

    // Each call may hold its guest memory, plus one crossing of at most
    // the transfer cap while it is checked; what the host keeps of it is
    // a few hundred bytes.
    let memory_bytes = 64 << 20;
    let ctx = CallContext {
        limits: CallLimits {
            memory_bytes,
            ..CallLimits::default()
        },
        ..CallContext::default()
    };
    let before = peak_rss();
    let huge = [
        "huge-error",
        "huge-unauthorized",
        "huge-user-id",
        "huge-log",
    ];
    let reports: Vec<Report> = futures_util::future::join_all(
        huge.iter()
            .cycle()
            .take(AT_ONCE)
            .map(|name| report(&runtime, &hostile, login(name, "x"), &ctx)),
    )
    .await;
    for report in &reports {
        assert_eq!(report.outcome, Outcome::Oversized, "{report:?}");
        let kept = serde_json::to_string(report).unwrap().len();
        assert!(kept < 2048, "the host kept a {kept}-byte report");
    }
    if let (Some(before), Some(after)) = (before, peak_rss()) {
        let grown = after.saturating_sub(before);
        let bound = AT_ONCE as u64 * (memory_bytes + DEFAULT_TRANSFER_BYTES) as u64;
        assert!(
            grown < bound,
            "{AT_ONCE} calls handing over 50 MB each grew the host's peak memory by {grown} bytes (bound {bound})"
        );
    }
    assert_still_serving(&runtime, &hostile).await;
}
