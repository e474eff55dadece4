//! Tenant logs, as Auth0 keeps them: an event per login, signup, user
//! deletion and so on, with Auth0's event type codes, who and where from,
//! and for script calls their outcome, duration and the script's own log
//! lines (capped). Events are written off the request's path, in batches
//! ([`LogSink`]), kept per tenant under a retention bound ([`Retention`]),
//! and searched with Auth0's query syntax ([`LogSearch`]). No password or
//! secret is ever part of an event.

mod event;
mod search;
mod sink;
#[cfg(test)]
mod tests;

pub use event::{EventSource, EventType, LogEvent, ScriptCall};
pub use search::{LogPage, LogSearch, LogTerm, parse_log_query};
pub use sink::{LogSink, Retention};
