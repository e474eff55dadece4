//! `authbox:script/password`: bcrypt / argon2 / pbkdf2 / scrypt (and the
//! salted digests of imported users) done by the host, on tokio's blocking pool, a fixed number at once, shared in turns
//! across tenants: one cost-12 bcrypt never stalls the calls around it, and
//! a tenant's burst of logins cannot take every worker.

mod digest;
mod hasher;
mod hashing;

use wasmtime::component::{HasSelf, Linker};

pub use digest::{DigestAlgorithm, PasswordEncoding, SaltPosition, SaltedDigest};
pub use hasher::{HashPool, PasswordHasher};
pub use hashing::{Algorithm, CostLimits, HashError, check, hash, needs_rehash, verify};

use super::{CallScope, Capability, HasCapability};
use crate::bindings::authbox::script::password;

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

/// The process's settings for hashing.
#[derive(Debug, Clone, Copy)]
pub struct PasswordConfig {
    /// Hashes computed at once (on the blocking pool); one per core, at
    /// least two, by default.
    pub concurrency: usize,
    /// Of those, the most one tenant may have at once (half, at least
    /// one, by default): the others stay free for the other tenants.
    pub per_tenant: usize,
    /// The most work one hash may ask for.
    pub costs: CostLimits,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        // At least two, so that one tenant never holds them all.
        let concurrency = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
        PasswordConfig {
            concurrency,
            per_tenant: (concurrency / 2).max(1),
            costs: CostLimits::default(),
        }
    }
}

/// A call's state is a handle on the process's hashing workers, for the
/// call's owner until the call's deadline.
impl Capability for PasswordHasher {
    const INTERFACE: &'static str = "authbox:script/password";
    type Settings = ();
    type Config = PasswordConfig;
    type Shared = HashPool;

    fn shared(config: &PasswordConfig) -> HashPool {
        HashPool::new(config.concurrency, config.per_tenant, config.costs)
    }

    fn for_call((): &(), pool: &HashPool, scope: &CallScope<'_>) -> Self {
        pool.hasher(scope.owner, Some(scope.deadline))
    }

    fn add_to_linker<T: HasCapability<Self>>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
        password::add_to_linker::<T, HasSelf<Self>>(linker, |t| t.capability().state)
    }
}
