//! Tenants sharing one runtime: a tenant flooding the call slots or the
//! hashing workers holds at most its share, the other tenants' calls still
//! complete, the flooder's excess is refused as busy, and the host work of a
//! call that ends is dropped.

use std::time::{Duration, Instant};

use crate::common::*;
use authbox::runtime::report::Outcome;
use authbox::runtime::share::{CallShare, Owner, Saturated, ShareCaps};
use authbox::runtime::{CallContext, CallError, Runtime, RuntimeConfig, Script};
use authbox_tests::{HOSTILE, TRIVIAL};

fn share(tenant: &str, caps: ShareCaps) -> CallShare {
    CallShare {
        owner: Owner::new(tenant, "connection"),
        calls: caps,
    }
}

fn caps(tenant: usize) -> ShareCaps {
    ShareCaps {
        tenant,
        connection: tenant,
    }
}

fn tenant_context(tenant: &str, caps: ShareCaps, timeout: Duration) -> CallContext {
    CallContext {
        share: share(tenant, caps),
        ..context(&[], timeout)
    }
}

async fn host(slots: u32, queue_wait: Duration) -> (Runtime, Script, Script) {
    let runtime = Runtime::new(RuntimeConfig {
        max_concurrent_calls: slots,
        max_queue_wait: queue_wait,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let hostile = load(&runtime, HOSTILE).await;
    let trivial = load(&runtime, TRIVIAL).await;
    (runtime, hostile, trivial)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_tenant_holds_its_cap_its_excess_is_refused_and_the_other_tenant_is_served() {
    let (runtime, hostile, trivial) = host(8, Duration::from_millis(300)).await;
    let flooder = tenant_context("a", caps(2), Duration::from_secs(2));
    let spin = login("loop", "x");
    let flood =
        futures_util::future::join_all((0..12).map(|_| runtime.call(&hostile, &spin, &flooder)));
    let other = tenant_context("b", caps(2), Duration::from_secs(5));
    let served = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stats = runtime.slot_stats();
        let started = Instant::now();
        for _ in 0..10 {
            let result = runtime
                .call(&trivial, &login("ok@example.com", "secret"), &other)
                .await;
            assert!(result.outcome.is_ok(), "{:?}", result.outcome);
        }
        (stats, started.elapsed(), Instant::now())
    };
    let (flooded, (stats, took, served_at)) = tokio::join!(
        async {
            let results = flood.await;
            (results, Instant::now())
        },
        served
    );
    let (results, flood_ended) = flooded;
    let a = stats.tenants.iter().find(|(t, ..)| &**t == "a").unwrap();
    assert_eq!(a.1, 2, "tenant a held more than its cap: {stats:?}");
    assert!(served_at < flood_ended, "b waited for a's flood to end");
    assert!(took < Duration::from_secs(2), "b's 10 calls took {took:?}");
    let busy = results
        .iter()
        .filter(|r| r.outcome == Err(CallError::Busy(Saturated::Tenant)))
        .count();
    let timed_out = results
        .iter()
        .filter(|r| matches!(r.outcome, Err(CallError::Timeout(_))))
        .count();
    assert_eq!((timed_out, busy), (2, 10), "{results:?}");
    let refused = results
        .iter()
        .find(|r| r.outcome.is_err() && r.stats.duration < Duration::from_secs(1))
        .unwrap();
    assert!(refused.stats.duration >= Duration::from_millis(300));
    assert_eq!(runtime.slot_stats().held, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freed_slot_goes_to_the_tenant_whose_turn_it_is_not_to_the_first_in_line() {
    // Two slots, no caps: A takes both (0 ms) and queues four more just
    // before they free (600 ms; a queued call's wait counts against its
    // 700-ms deadline, so each still spins about 600 ms once it runs); B's one
    // call, queued after A's (650 ms), runs at the first slot A frees
    // (700 ms), not after A's queued calls.
    let (runtime, hostile, trivial) = host(2, Duration::from_secs(10)).await;
    let a = tenant_context("a", ShareCaps::UNCAPPED, Duration::from_millis(700));
    let spin = login("loop", "x");
    let (runtime, hostile, a, spin) = (&runtime, &hostile, &a, &spin);
    let flood = futures_util::future::join_all((0..6u64).map(|i| async move {
        let arrival = if i < 2 { 10 * i } else { 600 + 10 * (i - 2) };
        tokio::time::sleep(Duration::from_millis(arrival)).await;
        let result = runtime.call(hostile, spin, a).await;
        (result, Instant::now())
    }));
    let b = tenant_context("b", ShareCaps::UNCAPPED, Duration::from_secs(10));
    let b_call = async {
        tokio::time::sleep(Duration::from_millis(650)).await;
        let result = runtime
            .call(&trivial, &login("ok@example.com", "secret"), &b)
            .await;
        (result, Instant::now())
    };
    let (flood, (b_result, b_done)) = tokio::join!(flood, b_call);
    assert!(b_result.outcome.is_ok(), "{:?}", b_result.outcome);
    // In arrival order B would start only when A's first queued call ends
    // (about 1.3 s): with turns it ends before that.
    let mut ends: Vec<Instant> = flood.iter().map(|(_, at)| *at).collect();
    ends.sort();
    assert!(
        b_done < ends[2],
        "b's call ended after a's first queued call had run"
    );
    assert!(flood.iter().all(|(r, _)| r.outcome.is_err()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hash_work_of_a_call_that_times_out_is_dropped() {
    let (runtime, hostile, _) = host(8, Duration::from_secs(1)).await;
    let hashing = runtime.capabilities().password.clone();
    let ctx = tenant_context("a", caps(8), Duration::from_millis(400));
    let hash_loop = login("hash-loop", "pw");
    let calls =
        futures_util::future::join_all((0..6).map(|_| runtime.call(&hostile, &hash_loop, &ctx)));
    let results = calls.await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, Err(CallError::Timeout(_)))),
        "{results:?}"
    );
    // Nothing waits any more; at most the hashes already running (one
    // tenant's share of the workers) finish, counted against it.
    let stats = hashing.stats();
    assert_eq!(stats.waiting, 0, "{stats:?}");
    let share = runtime.config().capabilities.password.per_tenant;
    assert!(stats.held <= share, "{stats:?}");
    let started = Instant::now();
    while hashing.stats().held > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the hashes never ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let report = report(&runtime, &hostile, login("ok@example.com", "secret"), &ctx).await;
    assert_eq!(report.outcome, Outcome::Ok);
}
