//! Calling a connection's active script and turning how the call ended into
//! what a flow needs: a profile, a yes/no answer, or a typed error.

use super::events::script_called;
use super::{Authbox, FlowError};
use crate::logs::ScriptCall;
use crate::runtime::profile::NormalizedProfile;
use crate::runtime::report::{Outcome, Report};
use crate::runtime::{ActionCall, CallContext, CallError, CallResult};
use crate::store::Connection;

impl Authbox {
    /// Runs `call` on the connection's active script: the report of a
    /// success (or of "no such user"), or the error the outcome means.
    async fn call_script(
        &self,
        connection: &Connection,
        call: ActionCall,
    ) -> Result<Report, FlowError> {
        let result = self.run(connection, &call).await?;
        let (action, duration) = (call.action(), result.stats.duration);
        match &result.outcome {
            Err(CallError::Refused(refusal)) => {
                let outcome = Outcome::refused(refusal);
                self.inner.metrics.script_call(action, outcome, duration);
                let reason = Some(refusal.to_string());
                script_called(ScriptCall::new(
                    action,
                    outcome,
                    duration,
                    reason,
                    &result.logs,
                ));
                return Err(FlowError::Refused(refusal.clone()));
            }
            Err(CallError::Busy(saturated)) => {
                self.inner
                    .metrics
                    .script_call(action, Outcome::Busy, duration);
                self.inner
                    .metrics
                    .call_refused(&connection.tenant_id, *saturated);
                tracing::warn!(tenant = %connection.tenant_id, connection = %connection.name, %action, full = saturated.name(), "script call refused: too many calls in flight");
                return Err(FlowError::Busy(*saturated));
            }
            _ => {}
        }
        let report = Report::new(action, result, &self.source(connection));
        self.inner
            .metrics
            .script_call(action, report.outcome, duration);
        script_called(ScriptCall::of(&report));
        match report.outcome {
            Outcome::Ok | Outcome::NotFound => Ok(report),
            Outcome::NotImplemented => Err(FlowError::NotImplemented {
                connection: connection.name.clone(),
                action: report.action.name(),
            }),
            _ => {
                tracing::warn!(connection = %connection.name, action = %report.action, error = ?report.error, "script failed");
                Err(FlowError::Script(Box::new(report)))
            }
        }
    }

    /// Calls the connection's active script, loading it if needed, within
    /// its tenant's share of the call slots.
    async fn run(
        &self,
        connection: &Connection,
        call: &ActionCall,
    ) -> Result<CallResult, FlowError> {
        let loaded = self
            .inner
            .loaded
            .get(&self.inner.runtime, self.store(), connection)
            .await?;
        let context = CallContext {
            share: self.call_share(connection).await?,
            ..loaded.context.clone()
        };
        Ok(self
            .inner
            .runtime
            .call(&loaded.script, call, &context)
            .await)
    }

    /// Runs one action of a connection's active script and answers its
    /// report whatever the outcome, as `authbox run --json` prints it;
    /// nothing is cached (the Management API's "try").
    pub async fn try_action(
        &self,
        tenant_id: &str,
        connection_id: &str,
        call: ActionCall,
    ) -> Result<Report, FlowError> {
        let connection = self.store().connection(tenant_id, connection_id).await?;
        let result = self.run(&connection, &call).await?;
        let duration = result.stats.duration;
        let report = Report::new(call.action(), result, &self.source(&connection));
        self.inner
            .metrics
            .script_call(call.action(), report.outcome, duration);
        Ok(report)
    }

    /// The normalized profile a `login` / `get-user` answered; `None` for
    /// "no such user" (and for actions that answer no profile).
    pub(super) async fn call_for_profile(
        &self,
        connection: &Connection,
        call: ActionCall,
    ) -> Result<Option<NormalizedProfile>, FlowError> {
        Ok(self.call_script(connection, call).await?.profile)
    }

    /// Runs `call` (`verify`, `change-password`, `change-email`); a `false`
    /// answer is [`FlowError::NotDone`].
    pub(super) async fn call_for_yes(
        &self,
        connection: &Connection,
        call: ActionCall,
    ) -> Result<(), FlowError> {
        let action = call.action();
        match self.call_script(connection, call).await?.result {
            Some(true) => Ok(()),
            _ => Err(FlowError::NotDone {
                connection: connection.name.clone(),
                action: action.name(),
            }),
        }
    }
}
