//! What the flows write into their tenant's log: an event per login,
//! signup and user deletion, with the script calls each made (collected by
//! [`with_script_calls`] around the flow, as `call_script` ends them).

use std::cell::RefCell;
use std::future::Future;

use serde_json::{Value, json};

use super::{Authbox, FlowError, LoginContext};
use crate::logs::{EventSource, EventType, LogEvent, LogSearch, ScriptCall};
use crate::protection::Stage;
use crate::runtime::Refusal;
use crate::store::{CachedUser, LogStore};

tokio::task_local! {
    /// The script calls of the flow running in this task.
    static SCRIPT_CALLS: RefCell<Vec<ScriptCall>>;
}

/// Runs `flow`, answering what it answered and the script calls it made.
pub(super) async fn with_script_calls<T>(flow: impl Future<Output = T>) -> (T, Vec<ScriptCall>) {
    SCRIPT_CALLS
        .scope(RefCell::new(Vec::new()), async {
            let answer = flow.await;
            (answer, SCRIPT_CALLS.with(RefCell::take))
        })
        .await
}

/// Adds a call to the flow's (if a flow is collecting them).
pub(super) fn script_called(call: ScriptCall) {
    let _ = SCRIPT_CALLS.try_with(|calls| calls.borrow_mut().push(call));
}

impl LoginContext {
    /// Where the request came from, as events record it.
    fn source(&self) -> EventSource {
        EventSource {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            client_id: self.client_id.clone(),
            client_name: self.client_name.clone(),
        }
    }
}

/// What the event of a failed flow says: its type, description and error.
fn failure(error: &FlowError, failed: EventType) -> (EventType, String) {
    match error {
        FlowError::Refused(Refusal::WrongCredentials { user_id, .. }) => {
            let kind = match user_id {
                Some(_) => EventType::FailedLoginPassword,
                None => EventType::FailedLoginUser,
            };
            (kind, "Wrong email or password.".into())
        }
        other => (failed, other.to_string()),
    }
}

impl Authbox {
    /// Queues an event for its tenant's log.
    pub(super) fn log(&self, event: LogEvent) {
        self.inner.logs.emit(event);
    }

    /// A flow's event: who, through which connection, with its script calls.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn flow_event(
        &self,
        tenant_id: &str,
        event_type: EventType,
        description: Option<String>,
        connection: &str,
        user_name: Option<&str>,
        user: Option<&CachedUser>,
        context: &LoginContext,
        calls: Vec<ScriptCall>,
    ) -> LogEvent {
        let mut event = LogEvent::new(tenant_id, event_type, &context.source());
        if let Some(description) = description {
            event.description = description;
        }
        event.connection = Some(connection.to_string());
        event.user_name = user_name.map(str::to_string);
        if let Some(user) = user {
            event.user_id = Some(user.user_id.clone());
            event.connection_id = Some(user.connection_id.clone());
        }
        if !calls.is_empty() {
            event.details.insert("scripts".into(), json!(calls));
        }
        event
    }

    /// Logs a login's end: `s`, `fp`, `fu` or `f`.
    pub(super) fn log_login(
        &self,
        tenant_id: &str,
        connection: &str,
        username_or_email: &str,
        context: &LoginContext,
        result: &Result<CachedUser, FlowError>,
        calls: Vec<ScriptCall>,
    ) {
        let (event_type, description) = match result {
            Ok(_) => (EventType::SuccessLogin, None),
            Err(error) => {
                let (kind, description) = failure(error, EventType::FailedLogin);
                (kind, Some(description))
            }
        };
        let mut event = self.flow_event(
            tenant_id,
            event_type,
            description,
            connection,
            Some(username_or_email),
            result.as_ref().ok(),
            context,
            calls,
        );
        if let Err(FlowError::Refused(Refusal::WrongCredentials {
            user_id: Some(id), ..
        })) = result
        {
            event.user_id = Some(format!("{}|{id}", self.inner.provider));
        }
        self.log(event);
    }

    /// Logs a signup's end: `ss` or `fs`.
    pub(super) fn log_signup(
        &self,
        tenant_id: &str,
        connection: &str,
        email: &str,
        context: &LoginContext,
        result: &Result<CachedUser, FlowError>,
        calls: Vec<ScriptCall>,
    ) {
        let (event_type, description) = match result {
            Ok(_) => (EventType::SuccessSignup, None),
            Err(error) => (EventType::FailedSignup, Some(error.to_string())),
        };
        let event = self.flow_event(
            tenant_id,
            event_type,
            description,
            connection,
            Some(email),
            result.as_ref().ok(),
            context,
            calls,
        );
        self.log(event);
    }

    /// Logs a deleted user (`du`).
    pub(super) fn log_deletion(
        &self,
        tenant_id: &str,
        user: &CachedUser,
        connection: &str,
        calls: Vec<ScriptCall>,
    ) {
        let event = self.flow_event(
            tenant_id,
            EventType::DeletedUser,
            None,
            connection,
            user.attributes.get("email").and_then(Value::as_str),
            Some(user),
            &LoginContext::default(),
            calls,
        );
        self.log(event);
    }

    /// Logs that brute-force protection blocked an identifier (`limit_wc`).
    pub(super) fn log_blocked_account(
        &self,
        tenant_id: &str,
        connection: &str,
        identifier: &str,
        ip: &str,
    ) {
        let context = LoginContext {
            ip: (!ip.is_empty()).then(|| ip.to_string()),
            ..LoginContext::default()
        };
        let event = self.flow_event(
            tenant_id,
            EventType::BlockedAccount,
            None,
            connection,
            Some(identifier),
            None,
            &context,
            Vec::new(),
        );
        self.log(event);
    }

    /// Logs that suspicious-IP throttling blocked an IP (`limit_mu`): its
    /// bucket of `stage` (failed logins, signups) was emptied through
    /// `connection`.
    pub(super) fn log_blocked_ip(&self, tenant_id: &str, connection: &str, ip: &str, stage: Stage) {
        let context = LoginContext {
            ip: Some(ip.to_string()),
            ..LoginContext::default()
        };
        let what = match stage {
            Stage::PreLogin => "failed logins",
            Stage::PreUserRegistration => "signups",
        };
        let description = format!("Too many {what} from this IP address: throttled");
        let event = self.flow_event(
            tenant_id,
            EventType::BlockedIp,
            Some(description),
            connection,
            None,
            None,
            &context,
            Vec::new(),
        );
        self.log(event);
    }

    /// A page of the tenant's log events, and (if asked) how many it has.
    pub async fn logs(
        &self,
        tenant_id: &str,
        search: &LogSearch,
    ) -> Result<(Vec<LogEvent>, Option<u64>), FlowError> {
        Ok(self.logs_store().log_events(tenant_id, search).await?)
    }

    /// One event of the tenant's log.
    pub async fn log_event(&self, tenant_id: &str, log_id: &str) -> Result<LogEvent, FlowError> {
        Ok(self.logs_store().log_event(tenant_id, log_id).await?)
    }

    /// Logs a Management API change (`method` on `path`, answered `status`):
    /// `sapi`, or `fapi` for a status of 400 or more. Its bodies are left
    /// out: they may hold a password or a connection's secrets.
    pub fn log_api_operation(
        &self,
        tenant_id: &str,
        method: &str,
        path: &str,
        status: u16,
        context: &LoginContext,
    ) {
        let event_type = match status {
            0..400 => EventType::SuccessApiOperation,
            _ => EventType::FailedApiOperation,
        };
        let mut event = LogEvent::new(tenant_id, event_type, &context.source());
        event.description = format!("{method} {path}");
        event
            .details
            .insert("request".into(), json!({"method": method, "path": path}));
        event
            .details
            .insert("response".into(), json!({"statusCode": status}));
        self.log(event);
    }

    /// Waits until the events logged so far are written (e.g. at shutdown).
    pub async fn flush_logs(&self) {
        self.inner.logs.flush().await;
    }

    fn logs_store(&self) -> &dyn LogStore {
        self.inner.store.as_ref()
    }
}
