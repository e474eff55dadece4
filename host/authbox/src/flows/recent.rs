//! Recent answers of the store, used for a second without asking it again:
//! the lookups nearly every request makes (a connection by name, a client or
//! an API key by its secret, a tenant's default connection). A change made
//! through this process's `Authbox` forgets what it changes at once; one
//! made through another process sharing the store is seen within
//! [`FRESH_FOR`]. Only what was found is kept, so a flood of wrong secrets
//! neither grows the map nor skips the store.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long an answer is used.
pub(super) const FRESH_FOR: Duration = Duration::from_secs(1);

/// Answers by key, each with when it was read.
pub(super) struct Recent<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// The answer for `key`, if it was read less than [`FRESH_FOR`] ago.
    pub(super) fn get(&self, key: &K) -> Option<V> {
        self.entries()
            .get(key)
            .filter(|(_, at)| at.elapsed() < FRESH_FOR)
            .map(|(value, _)| value.clone())
    }

    /// The recent answer for `key`, else what `find` finds (kept if found).
    pub(super) async fn get_or_find<E>(
        &self,
        key: K,
        find: impl Future<Output = Result<Option<V>, E>>,
    ) -> Result<Option<V>, E> {
        if let Some(found) = self.get(&key) {
            return Ok(Some(found));
        }
        let found = find.await?;
        if let Some(found) = &found {
            self.put(key, found.clone());
        }
        Ok(found)
    }

    /// Keeps `value`, read just now.
    pub(super) fn put(&self, key: K, value: V) {
        self.entries().insert(key, (value, Instant::now()));
    }

    /// Forgets the answers `stale` picks (what a change made stale).
    pub(super) fn forget(&self, mut stale: impl FnMut(&K, &V) -> bool) {
        self.entries().retain(|key, (value, _)| !stale(key, value));
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (V, Instant)>> {
        // A panic while holding it leaves a map that is still valid.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_for_a_second_and_forgotten_on_demand() {
        let recent = Recent::default();
        recent.put("a", 1);
        recent.put("b", 2);
        assert_eq!(recent.get(&"a"), Some(1));
        assert_eq!(recent.get(&"c"), None);
        recent.forget(|key, _| *key == "a");
        assert_eq!((recent.get(&"a"), recent.get(&"b")), (None, Some(2)));
        // An old answer is not used.
        recent.entries().get_mut("b").unwrap().1 = Instant::now() - FRESH_FOR;
        assert_eq!(recent.get(&"b"), None);
    }

    #[tokio::test]
    async fn only_what_is_found_is_kept() {
        let recent = Recent::default();
        let none = recent.get_or_find("x", async { Ok::<_, ()>(None) }).await;
        assert_eq!(none, Ok(None));
        assert_eq!(recent.entries().len(), 0);
        let found = recent
            .get_or_find("x", async { Ok::<_, ()>(Some(1)) })
            .await;
        assert_eq!(found, Ok(Some(1)));
        // Now recent: `find` is not asked.
        let again = recent.get_or_find("x", async { Err(()) }).await;
        assert_eq!(again, Ok(Some(1)));
    }
}
