//! Which index SQLite reads a search through. Its planner has no statistics
//! (taking them made other searches slower: BENCHMARKS.md), so it cannot
//! tell a term that matches ten users from one that matches all of them,
//! and for `identities.connection:x AND created_at:[2000-01-01 TO *]` it
//! read all 100,000 users through the date index, then sorted them, to
//! answer 50. So the store first counts, up to [`MAX_RESULTS`], the users
//! each indexed part of a search's `AND` matches (on that part's index: at
//! most that many entries each), and writes the search so that SQLite can
//! read only the rarest part through its index, when one matches fewer; when
//! every part matches more, the search is read in the order of its sort's
//! index, each part checked on each user read, and stops at its page's end.
//! PostgreSQL plans from statistics of its own, and gets the search as
//! written.

use crate::search::{DateField, FlagField, MAX_RESULTS, Query, Sort, SortField, Term, TextField};

/// A part matching at least this many users is dense: checking it on each
/// user read in the sort's order finds a page sooner than reading its
/// matches through its index and sorting them.
const DENSE: i64 = MAX_RESULTS as i64;

/// A search's query as the store writes it, which parts of its top-level
/// `AND` ([`conjuncts`]) are checked on each user read rather than read
/// through their index, and whether the sort is too (the users are then
/// read through the one part left, and their matches sorted), and the
/// tenant (when that part's index does not begin with it).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SearchPlan {
    pub(super) query: Option<Query>,
    pub(super) checked: Vec<bool>,
    pub(super) sort_checked: bool,
    pub(super) tenant_checked: bool,
}

impl SearchPlan {
    /// `query` with every part, and the sort, free to be read through
    /// their index.
    pub(super) fn as_written(query: Option<Query>) -> SearchPlan {
        let checked = vec![false; query.as_ref().map_or(0, |q| conjuncts(q).len())];
        SearchPlan {
            query,
            checked,
            sort_checked: false,
            tenant_checked: false,
        }
    }

    /// The parts worth counting before planning: the indexed terms of an
    /// `AND` of at least two parts (a lone term has no other to be read
    /// through).
    pub(super) fn parts_to_count(&self) -> Vec<usize> {
        match &self.query {
            Some(query) if conjuncts(query).len() > 1 => conjuncts(query)
                .iter()
                .enumerate()
                .filter(|(_, part)| matches!(part, Query::Term(term) if indexed(term)))
                .map(|(i, _)| i)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Planned from `counts`, how many users (up to [`MAX_RESULTS`]) each
    /// counted part matches: the rarest part under [`DENSE`] is read
    /// through its index and every other part checked, and the sort (else
    /// SQLite reads the sort's index, with the tenant as its only bound,
    /// to spare a sort of ten users, which is what it guesses a tenant
    /// has), and the tenant if that part is a connection (whose index
    /// begins with the connection: SQLite otherwise read every user of the
    /// tenant through an index the tenant begins); with none, the counted parts are checked if `sort` has an
    /// index to read the users in (else nothing is: every match is read and
    /// sorted either way).
    pub(super) fn with_counts(mut self, counts: &[(usize, i64)], sort: Option<Sort>) -> SearchPlan {
        let rarest = counts
            .iter()
            .filter(|(_, count)| *count < DENSE)
            .min_by_key(|(_, count)| *count);
        self.sort_checked = rarest.is_some();
        self.tenant_checked = match (rarest, &self.query) {
            (Some((driver, _)), Some(query)) => {
                matches!(conjuncts(query)[*driver], Query::Term(Term::Connection(_)))
            }
            _ => false,
        };
        for (i, checked) in self.checked.iter_mut().enumerate() {
            *checked = match rarest {
                Some((driver, _)) => i != *driver,
                None => sorted_on_index(sort) && counts.iter().any(|(part, _)| *part == i),
            };
        }
        self
    }
}

/// The parts all of which a user found matches: an `AND`'s, or the query.
pub(super) fn conjuncts(query: &Query) -> &[Query] {
    match query {
        Query::And(all) => all,
        one => std::slice::from_ref(one),
    }
}

/// Whether an index of the store reads the users `term` matches.
pub(super) fn indexed(term: &Term) -> bool {
    match term {
        Term::Text(field, _) => indexed_text(*field),
        Term::Connection(_) | Term::Metadata { .. } => true,
        Term::Flag(field, _) => *field == FlagField::Blocked,
        Term::Date(field, ..) => *field == DateField::CreatedAt,
        Term::LoginsCount(..) => false,
    }
}

/// Whether users are read in `sort`'s order through an index (no sort:
/// by `user_id`, the key's order).
pub(super) fn sorted_on_index(sort: Option<Sort>) -> bool {
    match sort.map(|sort| sort.field) {
        None => true,
        Some(SortField::Text(field)) => indexed_text(field),
        Some(SortField::Date(field)) => field == DateField::CreatedAt,
        Some(SortField::LoginsCount) => false,
    }
}

/// The text fields with an index (migration 7; `user_id` is the key's).
fn indexed_text(field: TextField) -> bool {
    !matches!(field, TextField::GivenName | TextField::FamilyName)
}

#[cfg(test)]
mod tests {
    use super::{DENSE, SearchPlan};
    use crate::search::parse;

    fn plan(q: &str) -> SearchPlan {
        SearchPlan::as_written(Some(parse(q).unwrap()))
    }

    #[test]
    fn the_rarest_part_is_read_through_its_index_and_dense_parts_are_checked() {
        let q =
            "name:ada* AND NOT blocked:true AND app_metadata.plan:gold AND logins_count:[1 TO 5]";
        // The terms counted: the name and the metadata (the NOT and the
        // count have no index to be read through).
        assert_eq!(plan(q).parts_to_count(), [0, 2]);
        assert!(plan("name:ada*").parts_to_count().is_empty());
        assert!(
            plan("NOT name:ada* AND given_name:ada")
                .parts_to_count()
                .is_empty()
        );

        let planned = |counts: &[(usize, i64)], sort: Option<&str>| {
            let plan = plan(q).with_counts(counts, sort.map(|s| s.parse().unwrap()));
            (plan.checked, plan.sort_checked)
        };
        // The rarest part under DENSE drives; every other part is checked,
        // and the sort.
        assert_eq!(
            planned(&[(0, 40), (2, 7)], None),
            (vec![true, true, false, true], true)
        );
        assert_eq!(
            planned(&[(0, 40), (2, DENSE)], Some("logins_count:-1")),
            (vec![false, true, true, true], true)
        );
        assert!(!plan(q).with_counts(&[(0, 40)], None).tenant_checked);
        // All dense: the counted parts are checked, read in the sort's
        // order, if it has an index; else left to the planner.
        assert_eq!(
            planned(&[(0, DENSE), (2, DENSE)], Some("created_at:-1")),
            (vec![true, false, true, false], false)
        );
        assert_eq!(
            planned(&[(0, DENSE), (2, DENSE)], Some("last_login:1")),
            (vec![false; 4], false)
        );
    }
}
