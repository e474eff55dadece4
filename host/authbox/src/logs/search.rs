//! Which events a log request asks for: a query in Auth0's syntax over the
//! events' fields, and a page, by offset or from a checkpoint.

use crate::search::{
    Bound, Query, SearchError, TextMatch, Written, date_range, parse_with, text_match,
};

/// A condition on one field of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum LogTerm {
    /// A text field (`type`, `user_id`, `connection`...), exact case.
    Text(&'static str, TextMatch),
    /// `date` from / to.
    Date(Option<Bound<String>>, Option<Bound<String>>),
}

/// The text fields of an event that a query may name, and their columns.
const TEXT_FIELDS: &[&str] = &[
    "type",
    "user_id",
    "user_name",
    "connection",
    "connection_id",
    "client_id",
    "client_name",
    "ip",
    "log_id",
];

/// Parses a log search's `q`.
pub fn parse_log_query(text: &str) -> Result<Query<LogTerm>, SearchError> {
    parse_with(text, |field, value: Written| {
        if field == "date" {
            let (from, to) = date_range(field, value)?;
            return Ok(LogTerm::Date(from, to));
        }
        match TEXT_FIELDS.iter().find(|f| **f == field) {
            Some(column) => Ok(LogTerm::Text(column, text_match(field, value, |v| v)?)),
            None => Err(SearchError(format!(
                "searching logs by `{field}` is not supported: search by {} or date",
                TEXT_FIELDS.join(", ")
            ))),
        }
    })
}

/// Which page of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogPage {
    /// `per_page` events from `page * per_page`, newest first unless
    /// `oldest_first`.
    Offset {
        /// From 0.
        page: u32,
        /// Events per page.
        per_page: u32,
        /// Oldest first (`sort=date:1`).
        oldest_first: bool,
    },
    /// Up to `take` events after the one `from` names (from the oldest
    /// kept when none), oldest first: a reader that gives each page's last
    /// `log_id` as the next `from` sees every event once.
    Checkpoint {
        /// The last event already seen.
        from: Option<String>,
        /// Events per page.
        take: u32,
    },
}

/// A search of a tenant's events.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSearch {
    /// `None`: every event.
    pub query: Option<Query<LogTerm>>,
    /// Only this user's events (`/users/{id}/logs`).
    pub user_id: Option<String>,
    /// Which page.
    pub page: LogPage,
    /// Whether to count every event found, beyond the page.
    pub include_totals: bool,
}
