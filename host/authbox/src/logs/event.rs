//! One event of a tenant's log and its type codes.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::{Map, Value};

use std::time::Duration;

use crate::runtime::Action;
use crate::runtime::capabilities::log::LogLine;
use crate::runtime::report::{Outcome, Report};

/// The most bytes of a script's log lines an event keeps (the rest is cut,
/// and the cut said).
pub const MAX_SCRIPT_LOG_BYTES: usize = 4096;

/// The event types authbox writes, with Auth0's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `s`: a login succeeded.
    SuccessLogin,
    /// `f`: a login failed (the script failed, the user is blocked...).
    FailedLogin,
    /// `fp`: a wrong password for a known user.
    FailedLoginPassword,
    /// `fu`: a wrong email or username.
    FailedLoginUser,
    /// `ss`: a signup succeeded.
    SuccessSignup,
    /// `fs`: a signup failed.
    FailedSignup,
    /// `du`: a user was deleted.
    DeletedUser,
    /// `limit_wc`: brute-force protection blocked an identifier.
    BlockedAccount,
    /// `limit_mu`: suspicious-IP throttling blocked an IP (too many failed
    /// logins across users, or too many signups).
    BlockedIp,
    /// `scpr`: a password-reset link was sent (or, with no mail server,
    /// written into this event).
    ChangePasswordRequest,
    /// `scp`: a password was changed through a reset link.
    SuccessChangePassword,
    /// `fcp`: a password change through a reset link failed.
    FailedChangePassword,
    /// `sapi`: a Management API change succeeded.
    SuccessApiOperation,
    /// `fapi`: a Management API change failed.
    FailedApiOperation,
}

impl EventType {
    /// Auth0's code.
    pub fn code(self) -> &'static str {
        match self {
            EventType::SuccessLogin => "s",
            EventType::FailedLogin => "f",
            EventType::FailedLoginPassword => "fp",
            EventType::FailedLoginUser => "fu",
            EventType::SuccessSignup => "ss",
            EventType::FailedSignup => "fs",
            EventType::DeletedUser => "du",
            EventType::BlockedAccount => "limit_wc",
            EventType::BlockedIp => "limit_mu",
            EventType::ChangePasswordRequest => "scpr",
            EventType::SuccessChangePassword => "scp",
            EventType::FailedChangePassword => "fcp",
            EventType::SuccessApiOperation => "sapi",
            EventType::FailedApiOperation => "fapi",
        }
    }

    /// Auth0's description of the type.
    pub fn description(self) -> &'static str {
        match self {
            EventType::SuccessLogin => "Success Login",
            EventType::FailedLogin => "Failed Login",
            EventType::FailedLoginPassword => "Failed Login (Incorrect Password)",
            EventType::FailedLoginUser => "Failed Login (Invalid Email/Username)",
            EventType::SuccessSignup => "Success Signup",
            EventType::FailedSignup => "Failed Signup",
            EventType::DeletedUser => "Deleted User",
            EventType::BlockedAccount => "Blocked Account",
            EventType::BlockedIp => "Blocked IP Address",
            EventType::ChangePasswordRequest => "Success Change Password Request",
            EventType::SuccessChangePassword => "Success Change Password",
            EventType::FailedChangePassword => "Failed Change Password",
            EventType::SuccessApiOperation => "Success API Operation",
            EventType::FailedApiOperation => "Failed API Operation",
        }
    }
}

/// Where a request came from, as its events record it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSource {
    /// The end user's IP address.
    pub ip: Option<String>,
    /// The end user's `User-Agent`.
    pub user_agent: Option<String>,
    /// The application's id.
    pub client_id: Option<String>,
    /// The application's name.
    pub client_name: Option<String>,
}

/// A script call as an event records it: never its inputs (a password),
/// only how it ended and what the script logged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScriptCall {
    /// The action (`login`, `get-user`...).
    pub action: String,
    /// The outcome's name (`ok`, `wrong_credentials`, `timeout`...).
    pub outcome: String,
    /// Wall-clock milliseconds.
    pub duration_ms: f64,
    /// What went wrong, for the script's author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The script's log lines, `level: message`, cut at
    /// [`MAX_SCRIPT_LOG_BYTES`].
    pub logs: Vec<String>,
}

impl ScriptCall {
    /// A call of `action` that ended as `outcome` after `duration`.
    pub fn new(
        action: Action,
        outcome: Outcome,
        duration: Duration,
        error: Option<String>,
        logs: &[LogLine],
    ) -> ScriptCall {
        ScriptCall {
            action: action.name().to_string(),
            outcome: outcome.name().to_string(),
            duration_ms: duration.as_secs_f64() * 1000.0,
            error,
            logs: capped(logs),
        }
    }

    /// The summary of a call's report.
    pub fn of(report: &Report) -> ScriptCall {
        ScriptCall::new(
            report.action,
            report.outcome,
            Duration::from_micros(report.stats.duration_us),
            report.error.as_ref().map(|e| e.message.clone()),
            &report.logs,
        )
    }
}

fn capped(lines: &[LogLine]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut bytes = 0;
    for line in lines {
        let level = format!("{:?}", line.level).to_lowercase();
        let text = format!("{level}: {}", line.message);
        bytes += text.len();
        if bytes > MAX_SCRIPT_LOG_BYTES {
            kept.push(format!(
                "[cut: more than {MAX_SCRIPT_LOG_BYTES} bytes of log lines]"
            ));
            break;
        }
        kept.push(text);
    }
    kept
}

/// An event of a tenant's log, in Auth0's shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LogEvent {
    /// Unique, and in the order the events happened (a checkpoint).
    pub log_id: String,
    /// RFC 3339, UTC, milliseconds.
    pub date: String,
    /// Auth0's type code (`s`, `fp`, ...).
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened.
    pub description: String,
    /// The end user's IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The end user's `User-Agent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The application's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The application's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The user's `user_id`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The email or username given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The connection's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The connection's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// More: `scripts`, the script calls made (action, outcome,
    /// duration, error, the script's log lines).
    #[schema(value_type = Object)]
    pub details: Map<String, Value>,
    /// The tenant (not answered: the caller's own).
    #[serde(skip)]
    #[schema(ignore)]
    pub tenant_id: String,
}

/// This process's part of every log id it makes, so that ids made in the
/// same millisecond by processes sharing a store differ.
fn process_part() -> u32 {
    static PART: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PART.get_or_init(|| {
        let mut bytes = [0u8; 4];
        getrandom_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    })
}

fn getrandom_bytes(bytes: &mut [u8]) {
    use password_hash::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(bytes);
}

impl LogEvent {
    /// A new event of `tenant_id`, now, with a new id.
    pub fn new(tenant_id: &str, event_type: EventType, source: &EventSource) -> LogEvent {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let now = sqlx::types::chrono::Utc::now();
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff;
        LogEvent {
            log_id: format!(
                "{:013}{:08x}{sequence:08x}",
                now.timestamp_millis().max(0),
                process_part()
            ),
            date: now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            event_type: event_type.code().to_string(),
            description: event_type.description().to_string(),
            ip: source.ip.clone(),
            user_agent: source.user_agent.clone(),
            client_id: source.client_id.clone(),
            client_name: source.client_name.clone(),
            user_id: None,
            user_name: None,
            connection: None,
            connection_id: None,
            details: Map::new(),
            tenant_id: tenant_id.to_string(),
        }
    }

    /// The log id every event at or after `at` (milliseconds since the
    /// epoch) is at least.
    pub fn first_id_at(at_ms: i64) -> String {
        format!("{:013}", at_ms.max(0))
    }
}
