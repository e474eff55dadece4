//! Attack protection, as Auth0 has it (docs/behaviour.md §8): a tenant's
//! settings and the decisions made from the counters the store keeps.
//!
//! - **Brute-force protection**: after `max_attempts` consecutive failed
//!   logins of one identifier (from one IP, or from anywhere), its logins
//!   are refused before any script runs, until a password reset or an
//!   unblock.
//! - **Suspicious-IP throttling**: failed logins (and signups) from one IP,
//!   across users, drain a bucket of `max_attempts` that refills one
//!   attempt every `rate` milliseconds. An empty bucket refuses the IP's
//!   attempts; as it refills, the IP is let through one attempt at a time
//!   (slowed), each failure emptying it again.
//!
//! What is pure lives here (settings, their checks, the allow-list, the
//! bucket's arithmetic); the counters are in the store, so that several
//! processes on one PostgreSQL share them.

mod allowlist;
mod settings;
#[cfg(test)]
mod tests;

pub use allowlist::Allowlist;
pub use settings::{
    AttackProtection, BruteForceMode, BruteForcePatch, BruteForceProtection, BruteForceShield,
    IpShield, StagePatch, StagesPatch, SuspiciousIpPatch, SuspiciousIpThrottling, ThrottleStage,
    ThrottleStages,
};

use crate::store::LoginFailures;

/// Which protection refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shield {
    /// Brute-force protection: this identifier is blocked (for this IP).
    BruteForce,
    /// Suspicious-IP throttling: this IP failed too often.
    SuspiciousIp,
}

impl Shield {
    /// The name in metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Shield::BruteForce => "brute_force",
            Shield::SuspiciousIp => "suspicious_ip",
        }
    }
}

/// What a throttling stage counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Failed logins.
    PreLogin,
    /// Signups.
    PreUserRegistration,
}

impl Stage {
    /// Its name in the store and in Auth0's settings.
    pub fn name(self) -> &'static str {
        match self {
            Stage::PreLogin => "pre-login",
            Stage::PreUserRegistration => "pre-user-registration",
        }
    }
}

/// A throttling bucket kept as one number, the "due" time (GCRA): each
/// counted attempt pushes it `rate` milliseconds past `max(due, now)`, so
/// `due - now` is how much of the bucket is used, in milliseconds. The
/// store updates it in one statement, so concurrent processes never lose a
/// count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Attempts the bucket holds.
    pub max_attempts: u32,
    /// Milliseconds for one attempt to come back.
    pub rate_ms: u64,
}

impl Bucket {
    /// The bucket of a stage's settings.
    pub fn of(stage: &ThrottleStage) -> Self {
        Bucket {
            max_attempts: stage.max_attempts,
            rate_ms: stage.rate,
        }
    }

    /// Whether the bucket is empty at `now_ms`, its due time `due_ms`: no
    /// attempt left until one comes back.
    pub fn is_empty(&self, due_ms: i64, now_ms: i64) -> bool {
        self.wait_ms(due_ms, now_ms) > 0
    }

    /// Milliseconds until the empty bucket (due `due_ms`) lets one attempt
    /// through; 0 when one would pass now.
    pub fn wait_ms(&self, due_ms: i64, now_ms: i64) -> u64 {
        let used = due_ms.saturating_sub(now_ms).max(0) as u64;
        let capacity = u64::from(self.max_attempts).saturating_mul(self.rate_ms);
        used.saturating_sub(capacity.saturating_sub(self.rate_ms))
    }
}

/// Change-password requests from one IP for one email: Auth0's limit, 10
/// at once, then one a minute (a user's mailbox is not a target).
pub const CHANGE_PASSWORD_PER_EMAIL: Bucket = Bucket {
    max_attempts: 10,
    rate_ms: 60_000,
};

/// Change-password requests from one IP, whatever the email: 60 at once,
/// then one a second. Beyond Auth0's per-email limit: each request may run
/// the connection's `get-user` and hold a ticket of the tenant's bounded
/// number, so one address may not spray emails.
pub const CHANGE_PASSWORD_PER_IP: Bucket = Bucket {
    max_attempts: 60,
    rate_ms: 1_000,
};

/// The identifier a login names, as it is counted: emails and usernames in
/// any case are one identifier.
pub fn identifier_key(username_or_email: &str) -> String {
    username_or_email.trim().to_lowercase()
}

/// A tenant's settings, with their allow-lists parsed once.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The settings as stored.
    pub settings: AttackProtection,
    brute_force_allowlist: Allowlist,
    suspicious_ip_allowlist: Allowlist,
}

impl Policy {
    /// The policy of `settings` (whose allow-lists were checked when they
    /// were stored).
    pub fn new(settings: AttackProtection) -> Self {
        let parse = |entries: &[String]| Allowlist::parse(entries).unwrap_or_default();
        Policy {
            brute_force_allowlist: parse(&settings.brute_force.allowlist),
            suspicious_ip_allowlist: parse(&settings.suspicious_ip.allowlist),
            settings,
        }
    }

    /// Whether failed logins from `ip` ("" if unknown) are counted per
    /// identifier.
    pub fn counts_identifiers(&self, ip: &str) -> bool {
        self.settings.brute_force.enabled && !self.brute_force_allowlist.contains(ip)
    }

    /// Whether attempts from `ip` go through the throttling buckets.
    pub fn throttles(&self, ip: &str) -> bool {
        self.settings.suspicious_ip.enabled && !self.trusts(ip)
    }

    /// Whether `ip` is on the suspicious-IP allow-list (the tenant's own
    /// servers, proxies): never throttled, enabled or not.
    pub fn trusts(&self, ip: &str) -> bool {
        self.suspicious_ip_allowlist.contains(ip)
    }

    /// The failures (of one identifier and connection) that count against
    /// an attempt from `ip`: that IP's, or all of them, by the mode.
    pub fn failures_against(&self, failures: &[LoginFailures], ip: &str) -> i64 {
        failures
            .iter()
            .filter(|f| match self.settings.brute_force.mode {
                BruteForceMode::CountPerIdentifierAndIp => f.ip == ip,
                BruteForceMode::CountPerIdentifier => true,
            })
            .map(|f| f.failures)
            .sum()
    }

    /// The blocks among `failures` (of any identifiers and connections):
    /// per identifier, connection and IP, or per identifier and connection,
    /// by the mode.
    pub fn blocks(&self, failures: &[LoginFailures]) -> Vec<Block> {
        let max = i64::from(self.settings.brute_force.max_attempts);
        let mut blocks: Vec<Block> = Vec::new();
        match self.settings.brute_force.mode {
            BruteForceMode::CountPerIdentifierAndIp => {
                for f in failures.iter().filter(|f| f.failures >= max) {
                    blocks.push(Block {
                        identifier: f.identifier.clone(),
                        ip: Some(f.ip.clone()).filter(|ip| !ip.is_empty()),
                        connection: f.connection.clone(),
                    });
                }
            }
            BruteForceMode::CountPerIdentifier => {
                let mut totals: Vec<(&str, &str, i64)> = Vec::new();
                for f in failures {
                    match totals
                        .iter_mut()
                        .find(|(i, c, _)| *i == f.identifier && *c == f.connection)
                    {
                        Some(total) => total.2 += f.failures,
                        None => totals.push((&f.identifier, &f.connection, f.failures)),
                    }
                }
                for (identifier, connection, _) in totals.iter().filter(|t| t.2 >= max) {
                    blocks.push(Block {
                        identifier: identifier.to_string(),
                        ip: None,
                        connection: connection.to_string(),
                    });
                }
            }
        }
        blocks
    }
}

/// An identifier brute-force protection blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The identifier, lowercased.
    pub identifier: String,
    /// The IP it is blocked from; `None`: from everywhere (or the IP was
    /// not known).
    pub ip: Option<String>,
    /// The connection's name.
    pub connection: String,
}
