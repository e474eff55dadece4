//! A script writing 100 MB to stdout: the log is capped and the cut marked,
//! and the host's memory stays bounded. Alone in its test binary, so that the
//! process's peak memory is this test's.

#[path = "all/common.rs"]
mod common;

use authbox::runtime::CallContext;
use authbox::runtime::report::Outcome;
use authbox_tests::HOSTILE;
use common::*;

/// The process's peak resident memory, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test]
async fn stdout_flood_is_capped_and_marked() {
    let runtime = runtime();
    let hostile = load(&runtime, HOSTILE).await;
    assert_still_serving(&runtime, &hostile).await;
    let before = peak_rss();

    let report = report(
        &runtime,
        &hostile,
        login("flood", "x"),
        &CallContext::default(),
    )
    .await;

    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let kept: usize = report.logs.iter().map(|l| l.message.len()).sum();
    let marker = report.logs.last().unwrap();
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
}
