//! A tenant's attack-protection settings, in the shapes of Auth0's
//! `/api/v2/attack-protection/brute-force-protection` and
//! `.../suspicious-ip-throttling`, with Auth0's defaults. A change is a
//! patch: what it names replaces what was, the rest stays; the result is
//! checked whole before anything is stored.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Allowlist;

/// Both protections of a tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttackProtection {
    /// Blocks an identifier after consecutive failed logins.
    pub brute_force: BruteForceProtection,
    /// Throttles IPs with many failed logins or signups.
    pub suspicious_ip: SuspiciousIpThrottling,
}

/// An allowlist entry as the document describes it: an IPv4 or IPv6
/// address, or an IPv4 CIDR range (IPv6 ranges are taken too).
pub struct AllowlistEntry;

impl utoipa::PartialSchema for AllowlistEntry {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let string = || ObjectBuilder::new().schema_type(Type::String);
        let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
        OneOfBuilder::new()
            .item(string().format(Some(SchemaFormat::Custom("ipv4".into()))))
            .item(string().format(Some(SchemaFormat::Custom("ipv6".into()))))
            .item(string().pattern(Some(format!(
                "^({octet}\\.){{3}}{octet}/(3[0-2]|[12]?[0-9])$"
            ))))
            .into()
    }
}

impl ToSchema for AllowlistEntry {}

/// Brute-force protection's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BruteForceProtection {
    /// Whether failed logins are counted and blocks are enforced.
    pub enabled: bool,
    /// What happens when an identifier reaches `max_attempts`: `block` its
    /// logins; `user_notification` (authbox sends no mail yet: the server's
    /// log says it).
    pub shields: Vec<BruteForceShield>,
    /// IPs and CIDR ranges whose attempts are never counted or refused.
    #[schema(value_type = Vec<AllowlistEntry>)]
    pub allowlist: Vec<String>,
    /// Whether failures count per identifier and IP (Auth0's default) or per
    /// identifier from anywhere.
    pub mode: BruteForceMode,
    /// Consecutive failed logins that block, from 1 to 100 (10).
    #[schema(minimum = 1, maximum = 100)]
    pub max_attempts: u32,
}

impl Default for BruteForceProtection {
    fn default() -> Self {
        BruteForceProtection {
            enabled: true,
            shields: vec![BruteForceShield::Block, BruteForceShield::UserNotification],
            allowlist: Vec::new(),
            mode: BruteForceMode::CountPerIdentifierAndIp,
            max_attempts: 10,
        }
    }
}

/// What brute-force protection does at its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BruteForceShield {
    /// Refuse the identifier's logins (from that IP).
    Block,
    /// Tell the user.
    UserNotification,
}

/// How brute-force protection counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BruteForceMode {
    /// Per identifier and IP: a block holds for the IP it came from.
    CountPerIdentifierAndIp,
    /// Per identifier from any IP: a block holds everywhere.
    CountPerIdentifier,
}

/// Suspicious-IP throttling's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspiciousIpThrottling {
    /// Whether IPs are counted and throttled.
    pub enabled: bool,
    /// `block` refuses a throttled IP's attempts; `admin_notification`
    /// (authbox sends no mail yet: the server's log says it).
    pub shields: Vec<IpShield>,
    /// IPs and CIDR ranges never counted or refused.
    #[schema(value_type = Vec<AllowlistEntry>)]
    pub allowlist: Vec<String>,
    /// The buckets of failed logins and of signups.
    pub stage: ThrottleStages,
}

impl Default for SuspiciousIpThrottling {
    fn default() -> Self {
        SuspiciousIpThrottling {
            enabled: true,
            shields: vec![IpShield::Block, IpShield::AdminNotification],
            allowlist: Vec::new(),
            stage: ThrottleStages::default(),
        }
    }
}

/// What suspicious-IP throttling does to an IP whose bucket is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IpShield {
    /// Refuse its attempts.
    Block,
    /// Tell the tenant's administrators.
    AdminNotification,
}

/// The two throttling buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThrottleStages {
    /// Failed logins per IP (100, one back every 864,000 ms: 100 a day).
    #[serde(rename = "pre-login")]
    pub pre_login: ThrottleStage,
    /// Signups per IP (50, one back every 1,200 ms: 50 a minute).
    #[serde(rename = "pre-user-registration")]
    pub pre_user_registration: ThrottleStage,
}

impl Default for ThrottleStages {
    fn default() -> Self {
        ThrottleStages {
            pre_login: ThrottleStage {
                max_attempts: 100,
                rate: 864_000,
            },
            pre_user_registration: ThrottleStage {
                max_attempts: 50,
                rate: 1_200,
            },
        }
    }
}

impl ThrottleStages {
    /// The bucket of `stage`.
    pub fn get(&self, stage: super::Stage) -> &ThrottleStage {
        match stage {
            super::Stage::PreLogin => &self.pre_login,
            super::Stage::PreUserRegistration => &self.pre_user_registration,
        }
    }
}

/// One throttling bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThrottleStage {
    /// Attempts the bucket holds, from 1 to 1,000,000.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub max_attempts: u32,
    /// Milliseconds for one attempt to come back, from 1 to 86,400,000.
    #[schema(minimum = 1, maximum = 86_400_000)]
    pub rate: u64,
}

/// A change of brute-force protection: what is given replaces what was.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BruteForcePatch {
    /// See [`BruteForceProtection::enabled`].
    pub enabled: Option<bool>,
    /// See [`BruteForceProtection::shields`].
    pub shields: Option<Vec<BruteForceShield>>,
    /// See [`BruteForceProtection::allowlist`].
    #[schema(value_type = Option<Vec<AllowlistEntry>>)]
    pub allowlist: Option<Vec<String>>,
    /// See [`BruteForceProtection::mode`].
    pub mode: Option<BruteForceMode>,
    /// See [`BruteForceProtection::max_attempts`].
    #[schema(minimum = 1, maximum = 100)]
    pub max_attempts: Option<u32>,
}

/// A change of suspicious-IP throttling: what is given replaces what was.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspiciousIpPatch {
    /// See [`SuspiciousIpThrottling::enabled`].
    pub enabled: Option<bool>,
    /// See [`SuspiciousIpThrottling::shields`].
    pub shields: Option<Vec<IpShield>>,
    /// See [`SuspiciousIpThrottling::allowlist`].
    #[schema(value_type = Option<Vec<AllowlistEntry>>)]
    pub allowlist: Option<Vec<String>>,
    /// Either stage, or a field of one.
    pub stage: Option<StagesPatch>,
}

/// A change of the throttling stages.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagesPatch {
    /// A change of the failed-login bucket.
    #[serde(rename = "pre-login")]
    pub pre_login: Option<StagePatch>,
    /// A change of the signup bucket.
    #[serde(rename = "pre-user-registration")]
    pub pre_user_registration: Option<StagePatch>,
}

/// A change of one bucket.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePatch {
    /// See [`ThrottleStage::max_attempts`].
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub max_attempts: Option<u32>,
    /// See [`ThrottleStage::rate`].
    #[schema(minimum = 1, maximum = 86_400_000)]
    pub rate: Option<u64>,
}

/// `value` if it is within `low..=high`, else why not, naming `what`.
fn within<T: PartialOrd + Copy + std::fmt::Display>(
    what: &str,
    value: T,
    low: T,
    high: T,
) -> Result<T, String> {
    match (low..=high).contains(&value) {
        true => Ok(value),
        false => Err(format!("{what} must be from {low} to {high}, not {value}")),
    }
}

impl BruteForceProtection {
    /// These settings with `patch` applied, checked whole.
    pub fn patched(&self, patch: BruteForcePatch) -> Result<Self, String> {
        let next = BruteForceProtection {
            enabled: patch.enabled.unwrap_or(self.enabled),
            shields: patch.shields.unwrap_or_else(|| self.shields.clone()),
            allowlist: patch.allowlist.unwrap_or_else(|| self.allowlist.clone()),
            mode: patch.mode.unwrap_or(self.mode),
            max_attempts: within(
                "max_attempts",
                patch.max_attempts.unwrap_or(self.max_attempts),
                1,
                100,
            )?,
        };
        Allowlist::parse(&next.allowlist)?;
        Ok(next)
    }

    /// Whether reaching the threshold blocks.
    pub fn blocks(&self) -> bool {
        self.enabled && self.shields.contains(&BruteForceShield::Block)
    }
}

impl SuspiciousIpThrottling {
    /// These settings with `patch` applied, checked whole.
    pub fn patched(&self, patch: SuspiciousIpPatch) -> Result<Self, String> {
        let stages = patch.stage.unwrap_or_default();
        let next = SuspiciousIpThrottling {
            enabled: patch.enabled.unwrap_or(self.enabled),
            shields: patch.shields.unwrap_or_else(|| self.shields.clone()),
            allowlist: patch.allowlist.unwrap_or_else(|| self.allowlist.clone()),
            stage: ThrottleStages {
                pre_login: self
                    .stage
                    .pre_login
                    .patched("stage.pre-login", stages.pre_login)?,
                pre_user_registration: self
                    .stage
                    .pre_user_registration
                    .patched("stage.pre-user-registration", stages.pre_user_registration)?,
            },
        };
        Allowlist::parse(&next.allowlist)?;
        Ok(next)
    }

    /// Whether an empty bucket refuses.
    pub fn blocks(&self) -> bool {
        self.enabled && self.shields.contains(&IpShield::Block)
    }
}

impl ThrottleStage {
    fn patched(&self, what: &str, patch: Option<StagePatch>) -> Result<Self, String> {
        let patch = patch.unwrap_or_default();
        Ok(ThrottleStage {
            max_attempts: within(
                &format!("{what}.max_attempts"),
                patch.max_attempts.unwrap_or(self.max_attempts),
                1,
                1_000_000,
            )?,
            rate: within(
                &format!("{what}.rate"),
                patch.rate.unwrap_or(self.rate),
                1,
                86_400_000,
            )?,
        })
    }
}
