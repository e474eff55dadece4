//! The host's password hashing: CPU-bound work on tokio's blocking pool,
//! a fixed number of hashes at once, handed out in turns across tenants
//! (a [`FairPool`]), none to a tenant past its share.

use std::time::Instant;

use super::hashing::{Algorithm, CostLimits, HashError, hash, verify};
use crate::share::{FairPool, Owner, PoolStats, ShareCaps};

/// The process's hashing workers; cheap to clone (clones share them).
#[derive(Clone)]
pub struct HashPool {
    workers: FairPool,
    per_tenant: usize,
    limits: CostLimits,
}

/// Hashing for one owner, until a deadline: a call's (or a flow's) handle
/// on the [`HashPool`].
#[derive(Clone)]
pub struct PasswordHasher {
    pool: HashPool,
    owner: Owner,
    deadline: Option<Instant>,
}

impl HashPool {
    /// `workers` hashes at once, at most `per_tenant` of them for one
    /// tenant (and so for one connection), each within `limits`.
    pub fn new(workers: usize, per_tenant: usize, limits: CostLimits) -> Self {
        HashPool {
            workers: FairPool::new(workers),
            per_tenant: per_tenant.max(1),
            limits,
        }
    }

    /// A handle hashing for `owner`; its work not started by `deadline`
    /// is dropped.
    pub fn hasher(&self, owner: &Owner, deadline: Option<Instant>) -> PasswordHasher {
        PasswordHasher {
            pool: self.clone(),
            owner: owner.clone(),
            deadline,
        }
    }

    /// The most work a hash may ask for.
    pub fn limits(&self) -> &CostLimits {
        &self.limits
    }

    /// Hashes running and waiting, per tenant.
    pub fn stats(&self) -> PoolStats {
        self.workers.stats()
    }
}

impl PasswordHasher {
    /// Runs `work` on the blocking pool once a worker is free for this
    /// owner. Waiting is cancel-safe: a call that ends leaves the queue.
    /// Once started, the work keeps its worker (counted against its
    /// tenant) until it is done: a hash cannot be interrupted, and the
    /// cost caps bound it.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&CostLimits) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let caps = ShareCaps {
            tenant: self.pool.per_tenant,
            connection: self.pool.per_tenant,
        };
        let acquire = self.pool.workers.acquire(&self.owner, caps);
        let worker = match self.deadline {
            None => acquire.await,
            Some(deadline) => tokio::time::timeout_at(deadline.into(), acquire)
                .await
                .map_err(|_| HashError::Failed(past_deadline()))?,
        };
        let limits = self.pool.limits;
        let deadline = self.deadline;
        tokio::task::spawn_blocking(move || {
            let _worker = worker;
            // The blocking pool may start it late.
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(HashError::Failed(past_deadline()));
            }
            work(&limits)
        })
        .await
        .map_err(|e| HashError::Failed(format!("hashing task failed: {e}")))?
    }

    /// Whether `password` matches `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        self.run(move |limits| verify(&password, &hash, limits))
            .await
    }

    /// A new hash of `password`.
    pub async fn hash(&self, password: String, algorithm: Algorithm) -> Result<String, HashError> {
        self.run(move |limits| hash(&password, algorithm, limits))
            .await
    }
}

fn past_deadline() -> String {
    "the call's deadline passed before a hashing worker was free".into()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// About a quarter of a second of a core.
    const SLOW: Algorithm = Algorithm::Bcrypt(12);

    fn pool() -> HashPool {
        HashPool::new(2, 1, CostLimits::default())
    }

    fn far_deadline() -> Option<Instant> {
        Some(Instant::now() + Duration::from_secs(60))
    }

    #[tokio::test]
    async fn a_tenant_flooding_the_hasher_holds_one_worker_and_another_tenant_gets_the_other() {
        let pool = pool();
        let flooder = pool.hasher(&Owner::new("a", "c"), far_deadline());
        let flood: Vec<_> = (0..6)
            .map(|_| {
                let hasher = flooder.clone();
                tokio::spawn(async move { hasher.hash("pw".into(), SLOW).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stats = pool.stats();
        assert_eq!(stats.held, 1, "{stats:?}");
        assert_eq!(stats.waiting, 5, "{stats:?}");

        let other = pool.hasher(&Owner::new("b", "c"), far_deadline());
        let started = Instant::now();
        let hash = other.hash("pw".into(), Algorithm::Bcrypt(4)).await.unwrap();
        assert!(other.verify("pw".into(), hash).await.unwrap());
        // Both of B's hashes ran while A's five queued ones (1.2 s and
        // more of work) still waited.
        assert!(pool.stats().waiting >= 4, "{:?}", pool.stats());
        assert!(started.elapsed() < Duration::from_millis(600));
        for job in flood {
            job.abort();
        }
    }

    #[tokio::test]
    async fn work_still_queued_at_the_deadline_never_runs() {
        let pool = pool();
        let hasher = pool.hasher(
            &Owner::new("a", "c"),
            Some(Instant::now() + Duration::from_millis(100)),
        );
        let jobs = (0..4).map(|_| hasher.hash("pw".into(), SLOW));
        let results = futures_util::future::join_all(jobs).await;
        let ran = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(
            ran, 1,
            "only the hash started before the deadline ran: {results:?}"
        );
        for refused in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(refused.to_string().contains("deadline"), "{refused}");
        }
        assert_eq!(pool.stats().held, 0);
    }

    #[tokio::test]
    async fn a_call_that_goes_away_leaves_the_queue_and_its_running_hash_is_counted_until_done() {
        let pool = pool();
        let hasher = pool.hasher(&Owner::new("a", "c"), far_deadline());
        let jobs = futures_util::future::join_all((0..4).map(|_| hasher.hash("pw".into(), SLOW)));
        // The call ends (its future is dropped) while one hash runs.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), jobs)
                .await
                .is_err()
        );
        let stats = pool.stats();
        assert_eq!((stats.held, stats.waiting), (1, 0), "{stats:?}");
        let started = Instant::now();
        while pool.stats().held > 0 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the running hash never ended"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
