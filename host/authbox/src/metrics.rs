//! What authbox counts, as Prometheus metrics: script calls by action and
//! outcome, their durations, logins by result, calls refused for a full
//! share per tenant, and (sampled at each scrape) the call slots and
//! hashing workers each tenant holds and waits for, attempts refused and
//! blocks made by attack protection per tenant. Labels are names and
//! tenant ids, never a user's data or a secret. Whoever serves them
//! (`authbox serve` at `/metrics`) registers its own beside these.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::protection::Shield;
use crate::runtime::report::Outcome;
use crate::runtime::share::{PoolStats, Saturated};
use crate::runtime::{Action, Runtime};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    action: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabels {
    tenant: String,
    full: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShieldLabels {
    tenant: String,
    shield: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabels {
    tenant: String,
}

/// What one pool holds and queues per tenant, as two gauges.
#[derive(Clone, Debug, Default)]
struct PoolGauges {
    held: Family<TenantLabels, Gauge>,
    waiting: Family<TenantLabels, Gauge>,
}

impl PoolGauges {
    /// Replaces the values with `stats` (tenants gone since are dropped).
    fn set(&self, stats: &PoolStats) {
        self.held.clear();
        self.waiting.clear();
        for (tenant, held, waiting) in &stats.tenants {
            let labels = TenantLabels {
                tenant: tenant.to_string(),
            };
            self.held.get_or_create(&labels).set(*held as i64);
            self.waiting.get_or_create(&labels).set(*waiting as i64);
        }
    }

    fn register(&self, registry: &mut Registry, name: &str, what: &str) {
        registry.register(
            format!("authbox_{name}_held"),
            format!("{what} held, per tenant"),
            self.held.clone(),
        );
        registry.register(
            format!("authbox_{name}_waiting"),
            format!("{what} waited for, per tenant"),
            self.waiting.clone(),
        );
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    result: &'static str,
}

/// How a login ended, for the `logins` counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginResult {
    /// Logged in through the script.
    Script,
    /// A migrated user, logged in against the local hash (no script call).
    Local,
    /// Unknown user or bad password.
    WrongCredentials,
    /// Refused: blocked, or the script said unauthorized.
    Refused,
    /// The script or the store failed.
    Failed,
}

impl LoginResult {
    fn name(self) -> &'static str {
        match self {
            LoginResult::Script => "success_script",
            LoginResult::Local => "success_local",
            LoginResult::WrongCredentials => "wrong_credentials",
            LoginResult::Refused => "refused",
            LoginResult::Failed => "failed",
        }
    }
}

/// authbox's metrics; cheap to share (the counters are shared handles).
#[derive(Clone, Debug)]
pub struct Metrics {
    script_calls: Family<CallLabels, Counter>,
    script_seconds: Family<ActionLabels, Histogram>,
    logins: Family<LoginLabels, Counter>,
    calls_refused: Family<RefusedLabels, Counter>,
    attempts_refused: Family<ShieldLabels, Counter>,
    blocks: Family<ShieldLabels, Counter>,
    log_events_lost: Counter,
    call_slots: PoolGauges,
    hash_workers: PoolGauges,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            script_calls: Family::default(),
            // 0.5 ms to about 16 s.
            script_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0005, 2.0, 16))
            }),
            logins: Family::default(),
            calls_refused: Family::default(),
            attempts_refused: Family::default(),
            blocks: Family::default(),
            log_events_lost: Counter::default(),
            call_slots: PoolGauges::default(),
            hash_workers: PoolGauges::default(),
        }
    }
}

impl Metrics {
    /// Counts one script call.
    pub fn script_call(&self, action: Action, outcome: Outcome, duration: Duration) {
        self.script_calls
            .get_or_create(&CallLabels {
                action: action.name(),
                outcome: outcome.name(),
            })
            .inc();
        self.script_seconds
            .get_or_create(&ActionLabels {
                action: action.name(),
            })
            .observe(duration.as_secs_f64());
    }

    /// Counts a call refused because `saturated` was full.
    pub fn call_refused(&self, tenant: &str, saturated: Saturated) {
        self.calls_refused
            .get_or_create(&RefusedLabels {
                tenant: tenant.to_string(),
                full: saturated.name(),
            })
            .inc();
    }

    /// Calls of `tenant` refused for a full share so far.
    pub fn calls_refused(&self, tenant: &str) -> u64 {
        [Saturated::Tenant, Saturated::Connection, Saturated::Host]
            .iter()
            .filter_map(|full| {
                self.calls_refused.get(&RefusedLabels {
                    tenant: tenant.to_string(),
                    full: full.name(),
                })
            })
            .map(|counter| counter.get())
            .sum()
    }

    /// Counts an attempt of `tenant` refused by `shield` (no script ran).
    pub fn attempt_refused(&self, tenant: &str, shield: Shield) {
        self.attempts_refused
            .get_or_create(&ShieldLabels {
                tenant: tenant.to_string(),
                shield: shield.name(),
            })
            .inc();
    }

    /// Attempts of `tenant` refused by `shield` so far.
    pub fn attempts_refused(&self, tenant: &str, shield: Shield) -> u64 {
        let labels = ShieldLabels {
            tenant: tenant.to_string(),
            shield: shield.name(),
        };
        self.attempts_refused.get(&labels).map_or(0, |c| c.get())
    }

    /// Counts a block `shield` put in place for `tenant` (an identifier
    /// reached its threshold, an IP emptied its bucket).
    pub fn block(&self, tenant: &str, shield: Shield) {
        self.blocks
            .get_or_create(&ShieldLabels {
                tenant: tenant.to_string(),
                shield: shield.name(),
            })
            .inc();
    }

    /// Reads what `runtime`'s call slots and hashing workers hold and
    /// queue per tenant now, for the next scrape.
    pub fn sample(&self, runtime: &Runtime) {
        self.call_slots.set(&runtime.slot_stats());
        self.hash_workers
            .set(&runtime.capabilities().password.stats());
    }

    /// Counts one login.
    pub fn login(&self, result: LoginResult) {
        self.logins
            .get_or_create(&LoginLabels {
                result: result.name(),
            })
            .inc();
    }

    /// Script calls of `action` so far, whatever their outcome.
    pub fn script_calls(&self, action: Action) -> u64 {
        Outcome::ALL
            .iter()
            .map(|outcome| {
                self.script_calls
                    .get(&CallLabels {
                        action: action.name(),
                        outcome: outcome.name(),
                    })
                    .map_or(0, |counter| counter.get())
            })
            .sum()
    }

    /// Logins with this result so far.
    pub fn logins(&self, result: LoginResult) -> u64 {
        self.logins
            .get(&LoginLabels {
                result: result.name(),
            })
            .map_or(0, |counter| counter.get())
    }

    /// The counter of tenant log events lost (the log's queue was full, or
    /// the store failed), shared with the log's writer.
    pub(crate) fn log_events_lost(&self) -> Counter {
        self.log_events_lost.clone()
    }

    /// Adds these metrics to `registry` (prefixed `authbox_`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "authbox_script_calls",
            "Script calls by action and outcome",
            self.script_calls.clone(),
        );
        registry.register(
            "authbox_script_call_seconds",
            "Duration of script calls, waiting for a slot included",
            self.script_seconds.clone(),
        );
        registry.register("authbox_logins", "Logins by result", self.logins.clone());
        registry.register(
            "authbox_script_calls_refused",
            "Script calls refused for a full share, by tenant and by what was full (tenant, connection, host)",
            self.calls_refused.clone(),
        );
        registry.register(
            "authbox_attempts_refused",
            "Logins and signups refused by attack protection before any script ran, by tenant and shield (brute_force, suspicious_ip)",
            self.attempts_refused.clone(),
        );
        registry.register(
            "authbox_attack_blocks",
            "Blocks put in place by attack protection, by tenant and shield",
            self.blocks.clone(),
        );
        registry.register(
            "authbox_log_events_lost",
            "Tenant log events lost: dropped when the log's queue was full, or not written when the store failed",
            self.log_events_lost.clone(),
        );
        self.call_slots
            .register(registry, "call_slots", "Script call slots");
        self.hash_workers
            .register(registry, "hash_workers", "Password hashing workers");
    }
}
