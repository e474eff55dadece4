//! The host's password hasher: hashing is CPU-bound, so it runs on tokio's
//! blocking pool behind a semaphore.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::hashing::{Algorithm, CostLimits, HashError, hash, verify};

/// Runs hashing work off the async threads, a bounded number at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    limits: CostLimits,
}

impl PasswordHasher {
    /// At most `concurrency` hashes at once, each within `limits`.
    pub fn new(concurrency: usize, limits: CostLimits) -> Self {
        PasswordHasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            limits,
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&CostLimits) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Failed("hasher shut down".into()))?;
        let limits = self.limits;
        tokio::task::spawn_blocking(move || work(&limits))
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
