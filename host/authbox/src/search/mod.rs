//! User search over the profile cache: the part of Auth0's query syntax
//! (search engine v3, Lucene-like) that tenants use, parsed into a
//! [`Query`] the store answers from its indexes, with the page and order
//! ([`UserSearch`]). Parsing is pure; what is not supported is refused with
//! a [`SearchError`] that names it.

mod query;
mod terms;
#[cfg(test)]
mod tests;

pub use query::{
    Bound, DateField, FlagField, Query, Term, TextField, TextMatch, ValueMatch, Written, parse,
    parse_with,
};
pub use terms::{MAX_TERM_BYTES, MetadataTerm, metadata_terms, object_terms};

pub(crate) use query::{date_range, text_match};

/// What is wrong with a search: the message says what and what to write
/// instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SearchError(pub String);

/// A search of a tenant's cached users: which, in what order, which page.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSearch {
    /// `None` lists every user.
    pub query: Option<Query>,
    /// `None`: by `user_id`.
    pub sort: Option<Sort>,
    /// From 0.
    pub page: u32,
    /// Users per page.
    pub per_page: u32,
    /// Whether to count every user found, beyond the page.
    pub include_totals: bool,
}

/// An order of the results: a field, ascending or descending (`user_id`
/// breaks ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The field.
    pub field: SortField,
    /// Largest first.
    pub descending: bool,
}

/// The fields results can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// A text field (compared lowercased where the search is).
    Text(TextField),
    /// A date.
    Date(DateField),
    /// `logins_count`.
    LoginsCount,
}

impl std::str::FromStr for Sort {
    type Err = SearchError;

    /// Auth0's `field:1` (ascending) or `field:-1` (descending).
    fn from_str(text: &str) -> Result<Sort, SearchError> {
        let (name, order) = text.split_once(':').ok_or_else(|| {
            SearchError(format!(
                "sort `{text}` is not `field:1` or `field:-1` (e.g. created_at:-1)"
            ))
        })?;
        let descending = match order {
            "1" => false,
            "-1" => true,
            _ => {
                return Err(SearchError(format!(
                    "sort order `{order}` is neither 1 (ascending) nor -1 (descending)"
                )));
            }
        };
        let field = if let Some(text) = TextField::named(name) {
            SortField::Text(text)
        } else if let Some(date) = DateField::named(name) {
            SortField::Date(date)
        } else if name == "logins_count" {
            SortField::LoginsCount
        } else {
            return Err(SearchError(format!(
                "cannot sort by `{name}`: sort by {}, created_at, updated_at, last_login or logins_count",
                TextField::NAMES.join(", ")
            )));
        };
        Ok(Sort { field, descending })
    }
}
