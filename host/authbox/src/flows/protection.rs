//! Attack protection around logins and signups (docs/behaviour.md §8): an
//! attempt is checked before any script runs (a blocked identifier, a
//! throttled IP never reach the custom database), counted when it fails,
//! and its identifier's failures forgotten when it succeeds or the password
//! is reset. The settings are read at most once a second per tenant; the
//! counters are in the store, shared by every process on it.
//!
//! The checks before a script are store work every login asks for, so they
//! are shared like the call slots: a tenant has at most
//! [`PROTECTION_TURNS_PER_TENANT`] of them in flight and waiting tenants are
//! served in turns, so that one tenant's flood of logins waits behind its
//! own turns, not in front of the other tenants' logins on the store's
//! connections.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;

use super::{Authbox, FlowError, TicketRefusal};
use crate::background::every;
use crate::protection::{
    AttackProtection, Block, BruteForceMode, BruteForcePatch, BruteForceProtection,
    BruteForceShield, Bucket, CHANGE_PASSWORD_PER_EMAIL, CHANGE_PASSWORD_PER_IP, IpShield, Policy,
    Shield, Stage, SuspiciousIpPatch, SuspiciousIpThrottling, identifier_key,
};
use crate::runtime::share::{Owner, ShareCaps};
use crate::store::{CachedUser, ProtectionStore, SqlStore, secret_hash};

/// Checks before a script the process makes at once, all tenants together.
pub(super) const PROTECTION_TURNS: usize = 4;

/// Of those, the most one tenant may have: the others stay free for the
/// other tenants.
pub(super) const PROTECTION_TURNS_PER_TENANT: usize = PROTECTION_TURNS / 2;

/// One login attempt, from its check to its end.
pub(super) struct Attempt {
    tenant_id: String,
    connection: String,
    identifier: String,
    /// The client's address; "" when the caller gave none.
    ip: String,
    policy: Arc<Policy>,
    /// Whether failures of the identifier counted against this attempt
    /// (a success clears them; with none, it writes nothing).
    had_failures: bool,
}

/// How often buckets that are full again are deleted from the store.
const BUCKET_SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Starts deleting the buckets that are full again (a row for each IP and
/// email that ever asked would otherwise stay).
pub(super) fn sweep_buckets(store: Arc<SqlStore>) -> AbortHandle {
    every(
        BUCKET_SWEEP_EVERY,
        "the attack-protection sweep",
        move || {
            let store = store.clone();
            async move { store.sweep_buckets(now_ms()).await }
        },
    )
}

/// Milliseconds since the epoch, the throttling buckets' clock (shared by
/// processes, so not a monotonic one).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Authbox {
    fn protection(&self) -> &dyn ProtectionStore {
        self.inner.store.as_ref()
    }

    /// The tenant's attack protection, as read in the last second.
    async fn policy(&self, tenant_id: &str) -> Result<Arc<Policy>, FlowError> {
        let find = async {
            let settings = self.protection().attack_protection(tenant_id).await?;
            Ok::<_, FlowError>(Some(Arc::new(Policy::new(settings))))
        };
        let recent = &self.inner.policies;
        Ok(recent
            .get_or_find(tenant_id.to_string(), find)
            .await?
            .unwrap_or_default())
    }

    /// The tenant's attack-protection settings.
    pub async fn attack_protection(&self, tenant_id: &str) -> Result<AttackProtection, FlowError> {
        Ok(self.protection().attack_protection(tenant_id).await?)
    }

    /// Changes the tenant's brute-force protection: what `patch` gives
    /// replaces what was; all of it is checked before any is stored.
    pub async fn update_brute_force_protection(
        &self,
        tenant_id: &str,
        patch: BruteForcePatch,
    ) -> Result<BruteForceProtection, FlowError> {
        let settings = self
            .change_protection(tenant_id, |settings| {
                settings.brute_force = settings.brute_force.patched(patch)?;
                Ok(())
            })
            .await?;
        Ok(settings.brute_force)
    }

    /// Changes the tenant's suspicious-IP throttling, as
    /// [`update_brute_force_protection`](Self::update_brute_force_protection).
    pub async fn update_suspicious_ip_throttling(
        &self,
        tenant_id: &str,
        patch: SuspiciousIpPatch,
    ) -> Result<SuspiciousIpThrottling, FlowError> {
        let settings = self
            .change_protection(tenant_id, |settings| {
                settings.suspicious_ip = settings.suspicious_ip.patched(patch)?;
                Ok(())
            })
            .await?;
        Ok(settings.suspicious_ip)
    }

    /// Applies `change` to the tenant's settings and stores them, unless
    /// it says why not; this process uses them at once.
    async fn change_protection(
        &self,
        tenant_id: &str,
        change: impl FnOnce(&mut AttackProtection) -> Result<(), String>,
    ) -> Result<AttackProtection, FlowError> {
        let mut settings = self.protection().attack_protection(tenant_id).await?;
        change(&mut settings).map_err(FlowError::InvalidTenantSettings)?;
        self.protection()
            .set_attack_protection(tenant_id, &settings)
            .await?;
        self.inner.policies.forget(|id, _| id == tenant_id);
        Ok(settings)
    }

    /// Refuses a login (before any script runs) whose identifier is
    /// blocked or whose IP is throttled; else answers the attempt, to be
    /// ended with [`login_ended`](Self::login_ended).
    pub(super) async fn check_login(
        &self,
        tenant_id: &str,
        connection: &str,
        username_or_email: &str,
        ip: Option<&str>,
    ) -> Result<Attempt, FlowError> {
        let policy = self.policy(tenant_id).await?;
        let caps = ShareCaps {
            tenant: PROTECTION_TURNS_PER_TENANT,
            connection: PROTECTION_TURNS_PER_TENANT,
        };
        let _turn = self
            .inner
            .protection_turns
            .acquire(&Owner::new(tenant_id, connection), caps)
            .await;
        let attempt = Attempt {
            tenant_id: tenant_id.to_string(),
            connection: connection.to_string(),
            identifier: identifier_key(username_or_email),
            ip: ip.unwrap_or_default().to_string(),
            had_failures: false,
            policy,
        };
        // Both reads at once: one wait on the store instead of two.
        let failures = async {
            match attempt.policy.counts_identifiers(&attempt.ip) {
                true => self
                    .protection()
                    .login_failures(
                        tenant_id,
                        Some(connection),
                        std::slice::from_ref(&attempt.identifier),
                    )
                    .await
                    .map(Some),
                false => Ok(None),
            }
        };
        let throttled = async {
            match attempt.ip.is_empty() {
                true => Ok(false),
                false => {
                    self.bucket_empty(&attempt.policy, tenant_id, &attempt.ip, Stage::PreLogin)
                        .await
                }
            }
        };
        let (failures, throttled) = tokio::join!(failures, throttled);
        let mut had_failures = false;
        if let Some(failures) = failures? {
            let brute_force = &attempt.policy.settings.brute_force;
            let against = attempt.policy.failures_against(&failures, &attempt.ip);
            had_failures = against > 0;
            if brute_force.blocks() && against >= i64::from(brute_force.max_attempts) {
                return Err(self.refuse(tenant_id, Shield::BruteForce));
            }
        }
        if throttled? {
            return Err(self.refuse(tenant_id, Shield::SuspiciousIp));
        }
        Ok(Attempt {
            had_failures,
            ..attempt
        })
    }

    /// Refuses an attempt from `ip` whose bucket of `stage` is empty.
    async fn check_bucket(
        &self,
        policy: &Policy,
        tenant_id: &str,
        ip: &str,
        stage: Stage,
    ) -> Result<(), FlowError> {
        match self.bucket_empty(policy, tenant_id, ip, stage).await? {
            true => Err(self.refuse(tenant_id, Shield::SuspiciousIp)),
            false => Ok(()),
        }
    }

    /// Whether the IP's bucket of `stage` is empty and throttling blocks.
    async fn bucket_empty(
        &self,
        policy: &Policy,
        tenant_id: &str,
        ip: &str,
        stage: Stage,
    ) -> Result<bool, FlowError> {
        let throttling = &policy.settings.suspicious_ip;
        if !throttling.blocks() || !policy.throttles(ip) {
            return Ok(false);
        }
        let bucket = Bucket::of(throttling.stage.get(stage));
        let due = self.protection().throttle_due(tenant_id, ip, stage).await?;
        Ok(due.is_some_and(|due| bucket.is_empty(due, now_ms())))
    }

    /// Counts an attempt from `ip` into its bucket of `stage`; a bucket it
    /// empties is a new block.
    async fn count_into_bucket(
        &self,
        policy: &Policy,
        tenant_id: &str,
        connection: &str,
        ip: &str,
        stage: Stage,
    ) -> Result<(), FlowError> {
        let throttling = &policy.settings.suspicious_ip;
        let bucket = Bucket::of(throttling.stage.get(stage));
        let now = now_ms();
        let due = self
            .protection()
            .count_throttled(tenant_id, ip, stage, now, bucket.rate_ms as i64)
            .await?;
        let emptied =
            bucket.is_empty(due, now) && !bucket.is_empty(due - bucket.rate_ms as i64, now);
        if emptied {
            self.inner.metrics.block(tenant_id, Shield::SuspiciousIp);
            self.log_blocked_ip(tenant_id, connection, ip, stage);
            tracing::warn!(
                tenant = tenant_id,
                stage = stage.name(),
                notify = throttling.shields.contains(&IpShield::AdminNotification),
                "suspicious-IP throttling: an IP used up its attempts (authbox sends no mail: this line is the notification)"
            );
        }
        Ok(())
    }

    /// Counts the refusal and makes its error.
    fn refuse(&self, tenant_id: &str, shield: Shield) -> FlowError {
        self.inner.metrics.attempt_refused(tenant_id, shield);
        FlowError::TooManyAttempts(shield)
    }

    /// Ends a login attempt: a wrong password counts against its
    /// identifier and IP; a right one forgets its identifier's failures.
    /// A store failure here is logged, never the login's answer.
    pub(super) async fn login_ended(&self, attempt: Attempt, wrong_credentials: bool) {
        let ended = match wrong_credentials {
            true => self.count_failure(&attempt).await,
            false if attempt.had_failures => {
                let ip = match attempt.policy.settings.brute_force.mode {
                    BruteForceMode::CountPerIdentifierAndIp => Some(attempt.ip.as_str()),
                    BruteForceMode::CountPerIdentifier => None,
                };
                self.protection()
                    .clear_login_failures(
                        &attempt.tenant_id,
                        Some(&attempt.connection),
                        std::slice::from_ref(&attempt.identifier),
                        ip,
                    )
                    .await
                    .map(drop)
                    .map_err(FlowError::from)
            }
            false => Ok(()),
        };
        if let Err(e) = ended {
            tracing::warn!(tenant = %attempt.tenant_id, error = %e, "attack protection could not count a login");
        }
    }

    async fn count_failure(&self, attempt: &Attempt) -> Result<(), FlowError> {
        let (policy, tenant_id) = (&attempt.policy, attempt.tenant_id.as_str());
        if policy.counts_identifiers(&attempt.ip) {
            let count = self
                .protection()
                .count_login_failure(
                    tenant_id,
                    &attempt.connection,
                    &attempt.identifier,
                    &attempt.ip,
                )
                .await?;
            let brute_force = &policy.settings.brute_force;
            if count == i64::from(brute_force.max_attempts) {
                self.inner.metrics.block(tenant_id, Shield::BruteForce);
                self.log_blocked_account(
                    tenant_id,
                    &attempt.connection,
                    &attempt.identifier,
                    &attempt.ip,
                );
                tracing::warn!(
                    tenant = tenant_id,
                    connection = %attempt.connection,
                    notify = brute_force.shields.contains(&BruteForceShield::UserNotification),
                    "brute-force protection: an identifier reached its failed logins (authbox sends no mail: this line is the notification)"
                );
            }
        }
        if !attempt.ip.is_empty() && policy.throttles(&attempt.ip) {
            let (connection, ip) = (&attempt.connection, &attempt.ip);
            self.count_into_bucket(policy, tenant_id, connection, ip, Stage::PreLogin)
                .await?;
        }
        Ok(())
    }

    /// Throttles signups from `ip` (when the caller knows it): refused when
    /// its bucket is empty, else counted.
    pub(super) async fn check_signup(
        &self,
        tenant_id: &str,
        connection: &str,
        ip: Option<&str>,
    ) -> Result<(), FlowError> {
        let Some(ip) = ip else { return Ok(()) };
        let policy = self.policy(tenant_id).await?;
        if !policy.throttles(ip) {
            return Ok(());
        }
        self.check_bucket(&policy, tenant_id, ip, Stage::PreUserRegistration)
            .await?;
        let stage = Stage::PreUserRegistration;
        self.count_into_bucket(&policy, tenant_id, connection, ip, stage)
            .await
    }

    /// Counts a change-password request for `email` from `ip` (when the
    /// caller knows it) into its fixed limits, per IP and email and per IP
    /// (unless the IP is on the suspicious-IP allow-list): refused, before
    /// any script runs, when one is used up. The same whether or not the
    /// email has an account, so that a refusal tells nothing.
    pub(super) async fn check_reset_request(
        &self,
        tenant_id: &str,
        email: &str,
        ip: Option<&str>,
    ) -> Result<(), FlowError> {
        let Some(ip) = ip else { return Ok(()) };
        let per_email = (
            secret_hash(&format!("change-password\n{ip}\n{}", identifier_key(email))),
            CHANGE_PASSWORD_PER_EMAIL,
        );
        let per_ip = (
            secret_hash(&format!("change-password\n{ip}")),
            CHANGE_PASSWORD_PER_IP,
        );
        let trusted = self.policy(tenant_id).await?.trusts(ip);
        let limits = std::iter::once(per_email).chain((!trusted).then_some(per_ip));
        let now = now_ms();
        for (subject, bucket) in limits {
            let wait_ms = self
                .protection()
                .take_from_bucket(tenant_id, &subject, bucket, now)
                .await?;
            if let Some(wait_ms) = wait_ms {
                let retry_after_secs = wait_ms.div_ceil(1000);
                return Err(TicketRefusal::Throttled { retry_after_secs }.into());
            }
        }
        Ok(())
    }

    /// The blocks on a cached user's identifiers (email, username) in its
    /// connection. With `only_if_enforced`, none when brute-force
    /// protection does not block (Auth0's `consider_brute_force_enablement`).
    pub async fn user_blocks(
        &self,
        tenant_id: &str,
        user_id: &str,
        only_if_enforced: bool,
    ) -> Result<Vec<Block>, FlowError> {
        let (connection, identifiers) = self.identifiers_of(tenant_id, user_id).await?;
        self.blocks(tenant_id, Some(&connection), &identifiers, only_if_enforced)
            .await
    }

    /// The blocks on an identifier (an email, a username), any connection.
    pub async fn identifier_blocks(
        &self,
        tenant_id: &str,
        identifier: &str,
        only_if_enforced: bool,
    ) -> Result<Vec<Block>, FlowError> {
        let identifiers = [identifier_key(identifier)];
        self.blocks(tenant_id, None, &identifiers, only_if_enforced)
            .await
    }

    async fn blocks(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
        identifiers: &[String],
        only_if_enforced: bool,
    ) -> Result<Vec<Block>, FlowError> {
        let policy = self.policy(tenant_id).await?;
        if only_if_enforced && !policy.settings.brute_force.blocks() {
            return Ok(Vec::new());
        }
        let failures = self
            .protection()
            .login_failures(tenant_id, connection, identifiers)
            .await?;
        Ok(policy.blocks(&failures))
    }

    /// Lifts every block (and forgets every failed login) of a cached
    /// user's identifiers, from every IP.
    pub async fn unblock_user(&self, tenant_id: &str, user_id: &str) -> Result<(), FlowError> {
        let (connection, identifiers) = self.identifiers_of(tenant_id, user_id).await?;
        self.forget_failures(tenant_id, Some(&connection), &identifiers)
            .await
    }

    /// Lifts every block of an identifier, any connection, every IP.
    pub async fn unblock_identifier(
        &self,
        tenant_id: &str,
        identifier: &str,
    ) -> Result<(), FlowError> {
        self.forget_failures(tenant_id, None, &[identifier_key(identifier)])
            .await
    }

    async fn forget_failures(
        &self,
        tenant_id: &str,
        connection: Option<&str>,
        identifiers: &[String],
    ) -> Result<(), FlowError> {
        self.protection()
            .clear_login_failures(tenant_id, connection, identifiers, None)
            .await?;
        Ok(())
    }

    /// A successful password reset of `user` lifts its blocks (Auth0's
    /// rule); a failure to is logged, the reset stands.
    pub(super) async fn unblock_after_reset(&self, tenant_id: &str, user: &CachedUser) {
        let lifted = async {
            let connection = self
                .store()
                .connection(tenant_id, &user.connection_id)
                .await?;
            self.forget_failures(tenant_id, Some(&connection.name), &identifiers(user))
                .await
        };
        log_unlifted(tenant_id, lifted.await);
    }

    /// A successful password reset of a user the cache does not hold lifts
    /// the blocks of its email in `connection`, as
    /// [`unblock_after_reset`](Self::unblock_after_reset).
    pub(super) async fn unblock_email_after_reset(
        &self,
        tenant_id: &str,
        connection: &str,
        email: &str,
    ) {
        let identifiers = [identifier_key(email)];
        let lifted = self
            .forget_failures(tenant_id, Some(connection), &identifiers)
            .await;
        log_unlifted(tenant_id, lifted);
    }

    /// Whether suspicious-IP throttling refuses `ip` now (either bucket).
    pub async fn ip_blocked(&self, tenant_id: &str, ip: &str) -> Result<bool, FlowError> {
        let policy = self.policy(tenant_id).await?;
        for stage in [Stage::PreLogin, Stage::PreUserRegistration] {
            if self.bucket_empty(&policy, tenant_id, ip, stage).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Empties the IP's throttling buckets.
    pub async fn unblock_ip(&self, tenant_id: &str, ip: &str) -> Result<(), FlowError> {
        self.protection().clear_throttle(tenant_id, ip).await?;
        Ok(())
    }

    /// A cached user's connection (by name) and identifiers.
    async fn identifiers_of(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<(String, Vec<String>), FlowError> {
        let user = self.store().user(tenant_id, user_id).await?;
        let connection = self
            .store()
            .connection(tenant_id, &user.connection_id)
            .await?;
        Ok((connection.name, identifiers(&user)))
    }
}

fn log_unlifted(tenant_id: &str, lifted: Result<(), FlowError>) {
    if let Err(e) = lifted {
        tracing::warn!(tenant = tenant_id, error = %e, "could not lift the blocks of a user whose password was reset");
    }
}

/// The identifiers a user logs in with: email and username, lowercased.
fn identifiers(user: &CachedUser) -> Vec<String> {
    ["email", "username"]
        .iter()
        .filter_map(|key| user.attributes.get(*key)?.as_str())
        .map(identifier_key)
        .collect()
}
