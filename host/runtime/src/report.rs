//! The report of one action call, as `authbox run --json` prints it and the
//! Management API's "try" endpoint answers it: the outcome's name, the
//! normalized profile, the error, the logs and what the call used.

use serde::Serialize;

use crate::capabilities::log::{LogLevel, LogLine};
use crate::profile::{self, NormalizedProfile, ProfileSource};
use crate::sandbox::{Action, ActionOutput, CallError, CallResult, Refusal};

/// How a call ended, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Success.
    Ok,
    /// `get-user` knows no such user.
    NotFound,
    /// Bad credentials.
    WrongCredentials,
    /// The script refused the user.
    Unauthorized,
    /// `create`: the user exists.
    UserExists,
    /// `create`: the input was refused.
    Validation,
    /// The script lacks the action.
    NotImplemented,
    /// The script failed or exited, or the host could not run it.
    Error,
    /// Past the deadline.
    Timeout,
    /// Over the memory cap.
    MemoryLimit,
    /// A trap: panic, stack overflow, fuel exhausted...
    Trap,
    /// The returned profile does not validate.
    InvalidProfile,
    /// The script handed the host more than one crossing may carry.
    Oversized,
    /// No call slot came free in time (the tenant's, the connection's or
    /// the host's calls in flight were at their cap); the script did not run.
    Busy,
}

/// What an outcome means for whoever called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The action succeeded.
    Success,
    /// The script answered no (unknown user, wrong password, `false`...).
    Negative,
    /// The script failed.
    Failure,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 14] = [
        Outcome::Ok,
        Outcome::NotFound,
        Outcome::WrongCredentials,
        Outcome::Unauthorized,
        Outcome::UserExists,
        Outcome::Validation,
        Outcome::NotImplemented,
        Outcome::Error,
        Outcome::Timeout,
        Outcome::MemoryLimit,
        Outcome::Trap,
        Outcome::InvalidProfile,
        Outcome::Oversized,
        Outcome::Busy,
    ];

    /// The outcome's name, as reports spell it (`wrong_credentials`).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not_found",
            Outcome::WrongCredentials => "wrong_credentials",
            Outcome::Unauthorized => "unauthorized",
            Outcome::UserExists => "user_exists",
            Outcome::Validation => "validation",
            Outcome::NotImplemented => "not_implemented",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::MemoryLimit => "memory_limit",
            Outcome::Trap => "trap",
            Outcome::InvalidProfile => "invalid_profile",
            Outcome::Oversized => "oversized",
            Outcome::Busy => "busy",
        }
    }

    /// The outcome a failed call ended with.
    pub fn of(error: &CallError) -> Outcome {
        match error {
            CallError::Refused(refusal) => Outcome::refused(refusal),
            CallError::NotImplemented(_) => Outcome::NotImplemented,
            CallError::Failed(_) | CallError::Exited(_) | CallError::Host(_) => Outcome::Error,
            CallError::Timeout(_) => Outcome::Timeout,
            CallError::MemoryLimit(_) => Outcome::MemoryLimit,
            CallError::Trap(_) => Outcome::Trap,
            CallError::Oversized(_) => Outcome::Oversized,
            CallError::Busy(_) => Outcome::Busy,
        }
    }

    /// The outcome a refusal is.
    pub fn refused(refusal: &Refusal) -> Outcome {
        match refusal {
            Refusal::WrongCredentials { .. } => Outcome::WrongCredentials,
            Refusal::Unauthorized(_) => Outcome::Unauthorized,
            Refusal::UserExists => Outcome::UserExists,
            Refusal::Validation { .. } => Outcome::Validation,
        }
    }

    /// Success, a negative answer, or a failure.
    pub fn verdict(self) -> Verdict {
        match self {
            Outcome::Ok => Verdict::Success,
            Outcome::NotFound
            | Outcome::WrongCredentials
            | Outcome::Unauthorized
            | Outcome::UserExists
            | Outcome::Validation => Verdict::Negative,
            Outcome::NotImplemented
            | Outcome::Error
            | Outcome::Timeout
            | Outcome::MemoryLimit
            | Outcome::Trap
            | Outcome::InvalidProfile
            | Outcome::Oversized
            | Outcome::Busy => Verdict::Failure,
        }
    }
}

/// Why the call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportError {
    /// The outcome's name again, for consumers that only read `error`.
    pub kind: Outcome,
    /// What happened, for the script's author.
    pub message: String,
    /// `invalid_profile`: the offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `wrong_credentials`: whom the attempt was for, if the script said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl ReportError {
    fn new(kind: Outcome, message: String) -> Self {
        ReportError {
            kind,
            message,
            field: None,
            user_id: None,
        }
    }
}

/// What the call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReportStats {
    /// Wall-clock time in microseconds.
    pub duration_us: u64,
    /// The most linear memory the instance had.
    pub peak_memory_bytes: usize,
    /// Fuel burned, when metered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_consumed: Option<u64>,
}

/// The report of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The action called.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
    /// `login` / `get-user`: the normalized profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<NormalizedProfile>,
    /// `verify` / `change-password` / `change-email`: the script's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<bool>,
    /// Why it did not succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
    /// What the script logged and printed (capped), then authbox's own notes.
    pub logs: Vec<LogLine>,
    /// What the call used.
    pub stats: ReportStats,
}

impl Report {
    /// Builds the report of `call`, normalizing any profile it returned.
    pub fn new(action: Action, call: CallResult, source: &ProfileSource) -> Report {
        let stats = ReportStats {
            duration_us: call.stats.duration.as_micros() as u64,
            peak_memory_bytes: call.stats.peak_memory_bytes,
            fuel_consumed: call.stats.fuel_consumed,
        };
        let mut logs = call.logs;
        let (outcome, profile, result, error) = match call.outcome {
            Ok(ActionOutput::Profile(returned) | ActionOutput::MaybeProfile(Some(returned))) => {
                match profile::normalize(returned, source) {
                    Ok(normalized) => {
                        let notes = normalized.notes.into_iter().map(|message| LogLine {
                            level: LogLevel::Warn,
                            message,
                        });
                        logs.extend(notes);
                        (Outcome::Ok, Some(normalized.profile), None, None)
                    }
                    Err(invalid) => {
                        let message = invalid.to_string();
                        let error = ReportError {
                            field: Some(invalid.field),
                            ..ReportError::new(Outcome::InvalidProfile, message)
                        };
                        (Outcome::InvalidProfile, None, None, Some(error))
                    }
                }
            }
            Ok(ActionOutput::MaybeProfile(None)) => {
                let error =
                    ReportError::new(Outcome::NotFound, "the script knows no such user".into());
                (Outcome::NotFound, None, None, Some(error))
            }
            Ok(ActionOutput::Bool(answer)) => (Outcome::Ok, None, Some(answer), None),
            Ok(ActionOutput::Done) => (Outcome::Ok, None, None, None),
            Err(call_error) => {
                let outcome = Outcome::of(&call_error);
                let user_id = match &call_error {
                    CallError::Refused(Refusal::WrongCredentials { user_id, .. }) => {
                        user_id.clone()
                    }
                    _ => None,
                };
                let error = ReportError {
                    user_id,
                    ..ReportError::new(outcome, call_error.to_string())
                };
                (outcome, None, None, Some(error))
            }
        };
        Report {
            action,
            outcome,
            profile,
            result,
            error,
            logs,
            stats,
        }
    }

    /// Success, negative answer (including `false`), or failure.
    pub fn verdict(&self) -> Verdict {
        match (self.outcome.verdict(), self.result) {
            (Verdict::Success, Some(false)) => Verdict::Negative,
            (verdict, _) => verdict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn outcome_names_are_the_reports_spelling() {
        for outcome in Outcome::ALL {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.name());
        }
    }
}
