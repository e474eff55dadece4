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

/// How many of the users a search finds can be paged through, and
/// counted in its total (as Auth0: beyond, narrow the search, or export
/// the users with a job). It bounds what one search makes the store read
/// and sort: a page deep in a sorted search of 100,000 users would sort
/// them all for each request.
pub const MAX_RESULTS: u32 = 1000;

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
    /// Whether to count the users found, beyond the page (up to
    /// [`MAX_RESULTS`]).
    pub include_totals: bool,
}

impl UserSearch {
    /// The index of the page's first result.
    pub fn start(&self) -> u64 {
        u64::from(self.page) * u64::from(self.per_page)
    }

    /// How many results the page may have: `per_page`, less where the page
    /// reaches past [`MAX_RESULTS`]; 0 for a page that starts there.
    pub fn page_length(&self) -> u32 {
        let left = u64::from(MAX_RESULTS).saturating_sub(self.start());
        self.per_page.min(u32::try_from(left).unwrap_or(u32::MAX))
    }
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
