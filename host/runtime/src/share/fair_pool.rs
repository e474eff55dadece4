//! A semaphore that is fair across tenants: waiters queue per tenant, and a
//! freed permit goes to the next tenant in turn that has a waiter within
//! its caps, not to whoever arrived first. A tenant that sends a burst holds
//! at most its cap, and waits behind every other tenant's next call.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;

use super::{Owner, Saturated, ShareCaps};

/// A fixed number of permits handed out in turns across tenants. Cheap to
/// clone: clones share the permits.
#[derive(Clone)]
pub struct FairPool {
    state: Arc<Mutex<PoolState>>,
}

/// One permit, given back when dropped.
pub struct FairPermit {
    pool: FairPool,
    owner: Owner,
}

/// What a pool holds and queues at one moment, for metrics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Its size.
    pub size: usize,
    /// Permits held.
    pub held: usize,
    /// Waiters, all tenants.
    pub waiting: usize,
    /// Per tenant with permits or waiters: (tenant, held, waiting).
    pub tenants: Vec<(Arc<str>, usize, usize)>,
}

struct PoolState {
    size: usize,
    free: usize,
    tenants: HashMap<Arc<str>, TenantQueue>,
    /// The tenants that have waiters, in turn order; each appears once.
    turns: VecDeque<Arc<str>>,
    next_waiter: u64,
}

#[derive(Default)]
struct TenantQueue {
    held: usize,
    held_by_connection: HashMap<Arc<str>, usize>,
    waiters: VecDeque<Waiter>,
}

struct Waiter {
    id: u64,
    connection: Arc<str>,
    caps: ShareCaps,
    /// Sent under the pool's lock; the receiver leaves the queue (under
    /// the same lock) before it is dropped, so a send never gets lost.
    granted: oneshot::Sender<()>,
}

impl TenantQueue {
    fn held_by(&self, connection: &str) -> usize {
        self.held_by_connection
            .get(connection)
            .copied()
            .unwrap_or(0)
    }

    /// Why `caps` keeps a waiter of `connection` waiting, if they do.
    fn capped(&self, connection: &str, caps: ShareCaps) -> Option<Saturated> {
        if self.held >= caps.tenant {
            Some(Saturated::Tenant)
        } else if self.held_by(connection) >= caps.connection {
            Some(Saturated::Connection)
        } else {
            None
        }
    }

    /// The first waiter its caps let through.
    fn next_eligible(&self) -> Option<usize> {
        self.waiters
            .iter()
            .position(|w| self.capped(&w.connection, w.caps).is_none())
    }

    fn take(&mut self, connection: &Arc<str>) {
        self.held += 1;
        *self
            .held_by_connection
            .entry(Arc::clone(connection))
            .or_default() += 1;
    }

    fn give_back(&mut self, connection: &str) {
        self.held -= 1;
        if let Some(n) = self.held_by_connection.get_mut(connection) {
            *n -= 1;
            if *n == 0 {
                self.held_by_connection.remove(connection);
            }
        }
    }

    fn idle(&self) -> bool {
        self.held == 0 && self.waiters.is_empty()
    }
}

impl PoolState {
    /// Hands free permits out, one per tenant in turn, while any waiter
    /// is within its caps.
    fn dispatch(&mut self) {
        'permits: while self.free > 0 {
            for _ in 0..self.turns.len() {
                let Some(tenant) = self.turns.pop_front() else {
                    break;
                };
                let queue = self
                    .tenants
                    .get_mut(&tenant)
                    .expect("a tenant in turn has a queue");
                if let Some(at) = queue.next_eligible() {
                    let waiter = queue.waiters.remove(at).expect("found above");
                    queue.take(&waiter.connection);
                    self.free -= 1;
                    // The receiver is alive: see `Waiter::granted`.
                    let _ = waiter.granted.send(());
                    if !queue.waiters.is_empty() {
                        self.turns.push_back(tenant);
                    }
                    continue 'permits;
                }
                self.turns.push_back(tenant);
            }
            break;
        }
    }

    fn release(&mut self, owner: &Owner) {
        if let Some(queue) = self.tenants.get_mut(&owner.tenant) {
            queue.give_back(&owner.connection);
            if queue.idle() {
                self.tenants.remove(&owner.tenant);
            }
        }
        self.free += 1;
        self.dispatch();
    }

    /// Takes waiter `id` of `owner` out of the queue; `None` if it is no
    /// longer there (it was granted), else why it was still waiting.
    fn withdraw(&mut self, owner: &Owner, id: u64) -> Option<Saturated> {
        let queue = self.tenants.get_mut(&owner.tenant)?;
        let at = queue.waiters.iter().position(|w| w.id == id)?;
        let waiter = queue.waiters.remove(at).expect("found above");
        let why = queue
            .capped(&owner.connection, waiter.caps)
            .unwrap_or(Saturated::Host);
        if queue.waiters.is_empty() {
            self.turns.retain(|t| *t != owner.tenant);
        }
        if queue.idle() {
            self.tenants.remove(&owner.tenant);
        }
        Some(why)
    }
}

/// A waiter in the queue; dropping it (the call ended) takes it out, or
/// gives back the permit it was granted meanwhile.
struct Waiting<'a> {
    pool: &'a FairPool,
    owner: &'a Owner,
    id: u64,
    granted: Option<oneshot::Receiver<()>>,
}

impl Waiting<'_> {
    /// Leaves the queue: why the permit did not come, or the permit if it
    /// came meanwhile.
    fn withdraw(mut self) -> Result<FairPermit, Saturated> {
        let mut granted = self.granted.take().expect("withdrawn once");
        let mut state = self.pool.lock();
        match state.withdraw(self.owner, self.id) {
            Some(why) => Err(why),
            None => {
                drop(state);
                debug_assert!(granted.try_recv().is_ok());
                Ok(self.pool.permit(self.owner))
            }
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(mut granted) = self.granted.take() {
            let mut state = self.pool.lock();
            if state.withdraw(self.owner, self.id).is_none() && granted.try_recv().is_ok() {
                state.release(self.owner);
            }
        }
    }
}

impl FairPool {
    /// `size` permits (at least one).
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        FairPool {
            state: Arc::new(Mutex::new(PoolState {
                size,
                free: size,
                tenants: HashMap::new(),
                turns: VecDeque::new(),
                next_waiter: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // The state is consistent between statements: a panic elsewhere
        // cannot leave it half-changed.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn permit(&self, owner: &Owner) -> FairPermit {
        FairPermit {
            pool: self.clone(),
            owner: owner.clone(),
        }
    }

    fn enqueue<'a>(&'a self, owner: &'a Owner, caps: ShareCaps) -> Waiting<'a> {
        let (sender, receiver) = oneshot::channel();
        let mut state = self.lock();
        let id = state.next_waiter;
        state.next_waiter += 1;
        let queue = state.tenants.entry(Arc::clone(&owner.tenant)).or_default();
        let first = queue.waiters.is_empty();
        queue.waiters.push_back(Waiter {
            id,
            connection: Arc::clone(&owner.connection),
            caps,
            granted: sender,
        });
        if first {
            state.turns.push_back(Arc::clone(&owner.tenant));
        }
        state.dispatch();
        Waiting {
            pool: self,
            owner,
            id,
            granted: Some(receiver),
        }
    }

    /// A permit for `owner` within `caps`, waiting as long as it takes. The
    /// wait is cancel-safe: dropping the future leaves the queue.
    pub async fn acquire(&self, owner: &Owner, caps: ShareCaps) -> FairPermit {
        let mut waiting = self.enqueue(owner, caps);
        let granted = waiting.granted.as_mut().expect("not yet withdrawn");
        // The sender is only dropped after a send, or with the pool, which
        // `waiting` keeps alive.
        let _ = granted.await;
        waiting.granted = None;
        self.permit(owner)
    }

    /// A permit for `owner` within `caps` if one comes within `wait`; else
    /// the cap that was full.
    pub async fn acquire_within(
        &self,
        owner: &Owner,
        caps: ShareCaps,
        wait: Duration,
    ) -> Result<FairPermit, Saturated> {
        let mut waiting = self.enqueue(owner, caps);
        let granted = waiting.granted.as_mut().expect("not yet withdrawn");
        match tokio::time::timeout(wait, granted).await {
            Ok(_) => {
                waiting.granted = None;
                Ok(self.permit(owner))
            }
            Err(_elapsed) => waiting.withdraw(),
        }
    }

    /// What it holds and queues now.
    pub fn stats(&self) -> PoolStats {
        let state = self.lock();
        let mut tenants: Vec<_> = state
            .tenants
            .iter()
            .map(|(t, q)| (Arc::clone(t), q.held, q.waiters.len()))
            .collect();
        tenants.sort();
        PoolStats {
            size: state.size,
            held: state.size - state.free,
            waiting: tenants.iter().map(|(_, _, w)| w).sum(),
            tenants,
        }
    }
}

impl FairPermit {
    /// Whom it was granted to.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }
}

impl Drop for FairPermit {
    fn drop(&mut self) {
        self.pool.lock().release(&self.owner);
    }
}
