//! The fair pool alone: turns across tenants, caps, bounded waits and
//! waiters that go away.

use std::pin::pin;
use std::time::Duration;

use futures_util::FutureExt;

use super::{FairPool, Owner, Saturated, ShareCaps};

fn owner(tenant: &str, connection: &str) -> Owner {
    Owner::new(tenant, connection)
}

fn caps(tenant: usize, connection: usize) -> ShareCaps {
    ShareCaps { tenant, connection }
}

const SHORT: Duration = Duration::from_millis(20);

#[tokio::test]
async fn a_freed_permit_goes_to_the_next_tenant_in_turn_not_the_first_to_arrive() {
    let pool = FairPool::new(1);
    let (a, b) = (owner("a", "c"), owner("b", "c"));
    let held = pool.acquire(&a, ShareCaps::UNCAPPED).await;
    // A queues a burst first, then B one call.
    let mut a_burst: Vec<_> = (0..5)
        .map(|_| Box::pin(pool.acquire(&a, ShareCaps::UNCAPPED)))
        .collect();
    for waiter in &mut a_burst {
        assert!(waiter.as_mut().now_or_never().is_none());
    }
    let mut b_call = pin!(pool.acquire(&b, ShareCaps::UNCAPPED));
    assert!(b_call.as_mut().now_or_never().is_none());
    assert_eq!(pool.stats().waiting, 6);

    // A's turn comes first (it queued first): one of its burst...
    drop(held);
    let a_permit = a_burst[0]
        .as_mut()
        .now_or_never()
        .expect("A's first waiter");
    assert!(b_call.as_mut().now_or_never().is_none());
    // ...then B's, before the rest of A's burst.
    drop(a_permit);
    let b_permit = b_call.now_or_never().expect("B's turn comes next");
    assert_eq!(&*b_permit.owner().tenant, "b");
    for waiter in &mut a_burst[1..] {
        assert!(waiter.as_mut().now_or_never().is_none(), "A waits for B");
    }
    drop(b_permit);
    assert!(a_burst[1].as_mut().now_or_never().is_some());
}

#[tokio::test]
async fn a_tenant_never_holds_more_than_its_cap_even_with_permits_free() {
    let pool = FairPool::new(4);
    let a = owner("a", "c");
    let first = pool.acquire(&a, caps(2, 2)).await;
    let _second = pool.acquire(&a, caps(2, 2)).await;
    let refused = pool.acquire_within(&a, caps(2, 2), SHORT).await;
    assert_eq!(refused.err(), Some(Saturated::Tenant));
    // Another tenant still gets the free permits.
    let b = owner("b", "c");
    assert!(pool.acquire_within(&b, caps(2, 2), SHORT).await.is_ok());
    drop(first);
    assert!(pool.acquire_within(&a, caps(2, 2), SHORT).await.is_ok());
}

#[tokio::test]
async fn a_connection_cap_holds_within_its_tenant() {
    let pool = FairPool::new(4);
    let (one, two) = (owner("a", "one"), owner("a", "two"));
    let _held = pool.acquire(&one, caps(3, 1)).await;
    let refused = pool.acquire_within(&one, caps(3, 1), SHORT).await;
    assert_eq!(refused.err(), Some(Saturated::Connection));
    assert!(pool.acquire_within(&two, caps(3, 1), SHORT).await.is_ok());
}

#[tokio::test]
async fn a_full_host_is_named_as_such() {
    let pool = FairPool::new(1);
    let _held = pool.acquire(&owner("a", "c"), ShareCaps::UNCAPPED).await;
    let refused = pool
        .acquire_within(&owner("b", "c"), ShareCaps::UNCAPPED, SHORT)
        .await;
    assert_eq!(refused.err(), Some(Saturated::Host));
    assert_eq!(pool.stats().waiting, 0, "the refused waiter left the queue");
}

#[tokio::test]
async fn a_waiter_that_goes_away_leaves_the_queue() {
    let pool = FairPool::new(1);
    let (a, b) = (owner("a", "c"), owner("b", "c"));
    let held = pool.acquire(&a, ShareCaps::UNCAPPED).await;
    {
        let mut gone = pin!(pool.acquire(&a, ShareCaps::UNCAPPED));
        assert!(gone.as_mut().now_or_never().is_none());
        assert_eq!(pool.stats().waiting, 1);
    }
    assert_eq!(pool.stats().waiting, 0);
    let mut next = pin!(pool.acquire(&b, ShareCaps::UNCAPPED));
    assert!(next.as_mut().now_or_never().is_none());
    drop(held);
    assert!(next.now_or_never().is_some());
}

#[tokio::test]
async fn a_permit_granted_to_a_waiter_that_then_goes_away_is_given_back() {
    let pool = FairPool::new(1);
    let a = owner("a", "c");
    let held = pool.acquire(&a, ShareCaps::UNCAPPED).await;
    let mut granted_then_dropped = Box::pin(pool.acquire(&a, ShareCaps::UNCAPPED));
    assert!(granted_then_dropped.as_mut().now_or_never().is_none());
    drop(held); // granted, never polled again
    assert_eq!(pool.stats().held, 1);
    drop(granted_then_dropped);
    assert_eq!(
        pool.stats(),
        super::PoolStats {
            size: 1,
            ..Default::default()
        }
    );
}

#[tokio::test]
async fn permits_given_back_leave_no_trace_of_the_tenants() {
    let pool = FairPool::new(3);
    let permits: Vec<_> = futures_util::future::join_all(["a", "b", "c"].map(|t| {
        let o = owner(t, "c");
        let pool = pool.clone();
        async move { pool.acquire(&o, ShareCaps::UNCAPPED).await }
    }))
    .await;
    assert_eq!(pool.stats().held, 3);
    assert_eq!(pool.stats().tenants.len(), 3);
    drop(permits);
    assert_eq!(pool.stats().tenants, vec![]);
    assert_eq!(pool.stats().held, 0);
}
