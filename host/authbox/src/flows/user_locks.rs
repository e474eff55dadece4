//! Changes of one cached user, one at a time in this process. The store's
//! writes are optimistic (a write of an older revision is retried), which
//! keeps processes sharing a store correct; but within a process, a burst
//! of PATCHes of one user would retry each other out, some for seconds.
//! Queued on a per-user lock, each waits its turn once instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Above this many entries, the locks no one holds are dropped.
const PRUNE_ABOVE: usize = 1024;

/// A user's lock, while someone holds or waits for it.
type UserLock = Weak<AsyncMutex<()>>;

/// The locks of the users being changed, by (tenant id, user id).
#[derive(Default)]
pub(super) struct UserLocks {
    locks: Mutex<HashMap<(String, String), UserLock>>,
}

impl UserLocks {
    /// Waits for this user's turn; it lasts as long as the guard.
    pub(super) async fn lock(&self, tenant_id: &str, user_id: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            let key = (tenant_id.to_string(), user_id.to_string());
            match locks.get(&key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    if locks.len() >= PRUNE_ABOVE {
                        locks.retain(|_, lock| lock.strong_count() > 0);
                    }
                    let lock = Arc::new(AsyncMutex::new(()));
                    locks.insert(key, Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn one_user_at_a_time_others_free_and_unused_locks_dropped() {
        let locks = UserLocks::default();
        let held = locks.lock("t", "ada").await;
        // Another user is not held up.
        let other = locks.lock("t", "grace").await;
        drop(other);
        // Ada's second change waits for the first.
        let second = locks.lock("t", "ada");
        tokio::pin!(second);
        assert!((&mut second).now_or_never().is_none());
        drop(held);
        drop(second.await);
        // With no holder, the entries are dead and pruned when the map is full.
        for i in 0..PRUNE_ABOVE + 1 {
            drop(locks.lock("t", &i.to_string()).await);
        }
        assert!(locks.locks.lock().unwrap().len() < 10);
    }
}
