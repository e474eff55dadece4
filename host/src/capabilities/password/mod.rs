//! `authbox:script/password`: bcrypt / argon2 / pbkdf2 / scrypt done by the
//! host. Hashing is CPU-bound, so it runs on tokio's blocking pool behind a
//! semaphore: one cost-12 bcrypt never stalls the calls around it, and a
//! burst of logins cannot take every blocking thread.

mod hashing;

use std::sync::Arc;

use tokio::sync::Semaphore;
use wasmtime::component::{HasSelf, Linker};

pub use hashing::{Algorithm, CostLimits, HashError, hash, verify};

use crate::runtime::CallState;
use crate::runtime::bindings::authbox::script::password;

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

impl From<HashError> for password::PasswordError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Unsupported(m) => password::PasswordError::UnsupportedHash(m),
            HashError::TooCostly(m) => password::PasswordError::TooCostly(m),
            HashError::Failed(m) => password::PasswordError::Failed(m),
        }
    }
}

impl password::Host for PasswordHasher {
    async fn verify(
        &mut self,
        password: String,
        hash: String,
    ) -> wasmtime::Result<Result<bool, password::PasswordError>> {
        Ok(PasswordHasher::verify(self, password, hash)
            .await
            .map_err(Into::into))
    }

    async fn hash(
        &mut self,
        password: String,
        algorithm: password::Algorithm,
    ) -> wasmtime::Result<Result<String, password::PasswordError>> {
        let algorithm = match algorithm {
            password::Algorithm::Bcrypt(cost) => Algorithm::Bcrypt(cost),
            password::Algorithm::Argon2id => Algorithm::Argon2id,
        };
        Ok(PasswordHasher::hash(self, password, algorithm)
            .await
            .map_err(Into::into))
    }
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    password::add_to_linker::<_, HasSelf<PasswordHasher>>(linker, |state| &mut state.password)
}
