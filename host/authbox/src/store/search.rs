//! User search in the SQL store: a [`Query`] becomes one `WHERE` condition
//! over indexed columns and the `user_terms` index table (never JSON read
//! row by row), with bound values only. Also what keeps those indexes: the
//! searchable keys of a user's root attributes ([`RootKeys`], written with
//! the profile) and the metadata's terms ([`terms_column`], written beside
//! the metadata, in the same statement).

use serde_json::{Map, Value};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Row};

use super::search_plan::{SearchPlan, conjuncts, indexed, sorted_on_index};
use crate::search::{
    DateField, FlagField, MAX_RESULTS, Query, SortField, Term, TextField, TextMatch, UserSearch,
    ValueMatch, metadata_terms, object_terms,
};

/// The searchable forms of a profile's root attributes: the fields Auth0
/// searches in any case, lowercased, and `email_verified` as 0 or 1.
#[derive(Debug, Default)]
pub(super) struct RootKeys {
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email_verified: Option<i64>,
}

impl RootKeys {
    pub(super) fn of(attributes: &Map<String, Value>) -> RootKeys {
        let lower = |key: &str| {
            attributes
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_lowercase)
        };
        RootKeys {
            name: lower("name"),
            nickname: lower("nickname"),
            given_name: lower("given_name"),
            family_name: lower("family_name"),
            email_verified: attributes
                .get("email_verified")
                .and_then(Value::as_bool)
                .map(i64::from),
        }
    }
}

/// Binds a user's [`RootKeys`] to a statement, in the order its columns
/// are listed: `name_key`, `nickname_key`, `given_name_key`,
/// `family_name_key`, `email_verified`.
pub(super) trait BindKeys {
    fn bind_keys(self, keys: &RootKeys) -> Self;
}

impl<'q> BindKeys for sqlx::query::Query<'q, Any, AnyArguments> {
    fn bind_keys(self, keys: &RootKeys) -> Self {
        self.bind(keys.name.clone())
            .bind(keys.nickname.clone())
            .bind(keys.given_name.clone())
            .bind(keys.family_name.clone())
            .bind(keys.email_verified)
    }
}

/// The search terms of a metadata object named `root`, as the store keeps
/// them beside it (`app_metadata_terms`, `user_metadata_terms`): a JSON
/// array of `[field, value]` pairs, from which the database's triggers
/// (migration 9) write that object's rows of `user_terms`.
pub(super) fn terms_column(root: &str, object: &Map<String, Value>) -> String {
    let pairs = object_terms(root, object)
        .into_iter()
        .map(|term| Value::Array(vec![term.field.into(), term.value.into()]))
        .collect();
    Value::Array(pairs).to_string()
}

/// A value bound to a placeholder.
#[derive(Clone)]
pub(super) enum Bind {
    Text(String),
    Int(i64),
    /// Text or a typed NULL.
    MaybeText(Option<String>),
    /// A number or a typed NULL.
    MaybeInt(Option<i64>),
}

/// A statement's condition being written, with its bound values; `$1` is
/// the tenant.
pub(super) struct Condition {
    pub(super) sql: String,
    binds: Vec<Bind>,
    pub(super) postgres: bool,
    /// The terms being written are to be checked on each user read, not
    /// read through their index (SQLite: see [`SearchPlan`]).
    checked: bool,
}

impl Condition {
    pub(super) fn new(postgres: bool) -> Condition {
        Condition {
            sql: String::new(),
            binds: Vec::new(),
            postgres,
            checked: false,
        }
    }

    /// How many values are bound so far.
    pub(super) fn bound(&self) -> usize {
        self.binds.len()
    }

    /// The values bound, in placeholder order from `$2`.
    pub(super) fn into_binds(self) -> Vec<Bind> {
        self.binds
    }

    /// The placeholder of a new bound value.
    pub(super) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len() + 1)
    }

    fn text(&mut self, value: &str) -> String {
        self.bind(Bind::Text(value.to_string()))
    }

    /// Writes `query`, each of its terms as `term` writes it.
    pub(super) fn push<T>(&mut self, query: &Query<T>, term: fn(&mut Condition, &T) -> String) {
        match query {
            Query::Term(t) => {
                let sql = term(self, t);
                self.sql.push_str(&sql);
            }
            Query::Not(inner) => {
                self.sql.push_str("NOT (");
                self.push(inner, term);
                self.sql.push(')');
            }
            Query::And(all) => self.join(all, " AND ", term),
            Query::Or(any) => self.join(any, " OR ", term),
        }
    }

    /// Writes a search's query: each part of its top-level `AND` checked on
    /// each user read or not, as `plan` says.
    fn push_planned(&mut self, plan: &SearchPlan) {
        let Some(query) = &plan.query else {
            self.sql.push_str("1 = 1");
            return;
        };
        self.sql.push('(');
        for (i, part) in conjuncts(query).iter().enumerate() {
            if i > 0 {
                self.sql.push_str(" AND ");
            }
            self.checked = plan.checked.get(i).copied().unwrap_or(false);
            self.push(part, Condition::user_term);
        }
        self.checked = false;
        self.sql.push(')');
    }

    /// `column` as the term being written reads it.
    fn column(&self, column: &str) -> String {
        checked_column(column, self.checked)
    }

    fn join<T>(
        &mut self,
        queries: &[Query<T>],
        operator: &str,
        term: fn(&mut Condition, &T) -> String,
    ) {
        self.sql.push('(');
        for (i, query) in queries.iter().enumerate() {
            if i > 0 {
                self.sql.push_str(operator);
            }
            self.push(query, term);
        }
        self.sql.push(')');
    }

    /// A user search's term.
    fn user_term(&mut self, term: &Term) -> String {
        match term {
            Term::Text(field, matcher) => {
                let column = self.column(text_column(*field));
                self.text_match(&column, matcher, false)
            }
            Term::Connection(matcher) => {
                let name = self.text_match("name", matcher, self.postgres);
                format!(
                    "{} IN (SELECT id FROM connections WHERE tenant_id = $1 AND {name})",
                    self.column("users.connection_id")
                )
            }
            Term::Flag(field, value) => {
                let column = self.column(match field {
                    FlagField::Blocked => "users.blocked",
                    FlagField::EmailVerified => "users.email_verified",
                });
                format!("{column} = {}", self.bind(Bind::Int(i64::from(*value))))
            }
            Term::LoginsCount(from, to) => {
                let from = from.as_ref().map(|b| (Bind::Int(b.value), b.inclusive));
                let to = to.as_ref().map(|b| (Bind::Int(b.value), b.inclusive));
                self.range(&self.column("users.logins_count"), from, to)
            }
            Term::Date(field, from, to) => {
                let end =
                    |b: &crate::search::Bound<String>| (Bind::Text(b.value.clone()), b.inclusive);
                self.range(
                    &self.column(date_column(*field)),
                    from.as_ref().map(end),
                    to.as_ref().map(end),
                )
            }
            // Checked: the user's own entries, on the index of a user's
            // terms. Else the term's entries, on the index of the terms.
            Term::Metadata { field, matcher } if self.checked => {
                let terms = self.terms_matching(field, matcher);
                format!(
                    "EXISTS (SELECT 1 FROM user_terms \
                     WHERE user_terms.user_id = users.user_id AND {terms})"
                )
            }
            Term::Metadata { field, matcher } => {
                let terms = self.terms_matching(field, matcher);
                format!("users.user_id IN (SELECT user_id FROM user_terms WHERE {terms})")
            }
        }
    }

    /// A statement counting, up to [`MAX_RESULTS`], the users `term`
    /// matches, read through its index alone; `None` for a term that no
    /// index answers.
    fn count_on_index(&mut self, term: &Term) -> Option<String> {
        let found = match term {
            Term::Metadata { field, matcher } => {
                let terms = self.terms_matching(field, matcher);
                format!("SELECT DISTINCT user_id FROM user_terms WHERE {terms}")
            }
            term if indexed(term) => {
                let term = self.user_term(term);
                format!("SELECT 1 FROM users WHERE users.tenant_id = $1 AND {term}")
            }
            _ => return None,
        };
        Some(format!(
            "SELECT COUNT(*) AS total FROM ({found} LIMIT {MAX_RESULTS}) AS found"
        ))
    }

    /// The tenant's rows of `user_terms` a metadata term matches.
    fn terms_matching(&mut self, field: &str, matcher: &ValueMatch) -> String {
        let field = self.text(field);
        let values = match matcher {
            ValueMatch::Any(values) => {
                let placeholders: Vec<String> = values.iter().map(|v| self.text(v)).collect();
                format!(" AND value IN ({})", placeholders.join(", "))
            }
            ValueMatch::Prefix(prefix) => format!(" AND {}", self.prefix("value", prefix, false)),
            ValueMatch::Exists => String::new(),
        };
        format!("tenant_id = $1 AND field = {field}{values}")
    }

    /// `column` matched; `collate` compares bytes on PostgreSQL (for a
    /// column not declared so).
    pub(super) fn text_match(
        &mut self,
        column: &str,
        matcher: &TextMatch,
        collate: bool,
    ) -> String {
        match matcher {
            TextMatch::Exact(value) => format!("{column} = {}", self.text(value)),
            TextMatch::Prefix(prefix) => self.prefix(column, prefix, collate),
            TextMatch::Exists => format!("{column} IS NOT NULL"),
        }
    }

    /// The values of `column` starting with `prefix`: one range of an index
    /// (the columns compare bytes on both backends).
    fn prefix(&mut self, column: &str, prefix: &str, collate: bool) -> String {
        let column = match collate {
            true => format!("{column} COLLATE \"C\""),
            false => column.to_string(),
        };
        let from = self.text(prefix);
        match prefix_end(prefix) {
            Some(end) => format!("({column} >= {from} AND {column} < {})", self.text(&end)),
            None => format!("{column} >= {from}"),
        }
    }

    pub(super) fn range(
        &mut self,
        column: &str,
        from: Option<(Bind, bool)>,
        to: Option<(Bind, bool)>,
    ) -> String {
        let mut parts = vec![format!("{column} IS NOT NULL")];
        if let Some((value, inclusive)) = from {
            let operator = if inclusive { ">=" } else { ">" };
            parts.push(format!("{column} {operator} {}", self.bind(value)));
        }
        if let Some((value, inclusive)) = to {
            let operator = if inclusive { "<=" } else { "<" };
            parts.push(format!("{column} {operator} {}", self.bind(value)));
        }
        format!("({})", parts.join(" AND "))
    }
}

/// `column`, behind a unary `+` if `checked`: SQLite then never reads it
/// through an index (to find users, or in order).
fn checked_column(column: &str, checked: bool) -> String {
    match checked {
        true => format!("+{column}"),
        false => column.to_string(),
    }
}

/// The first string after every string starting with `prefix` (in code
/// point order, which is UTF-8's byte order); `None` if there is none.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(c as u32 + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn text_column(field: TextField) -> &'static str {
    match field {
        TextField::Email => "users.email_key",
        TextField::UserId => "users.user_id",
        TextField::Username => "users.username",
        TextField::Name => "users.name_key",
        TextField::Nickname => "users.nickname_key",
        TextField::GivenName => "users.given_name_key",
        TextField::FamilyName => "users.family_name_key",
    }
}

fn date_column(field: DateField) -> &'static str {
    match field {
        DateField::CreatedAt => "users.created_at",
        DateField::UpdatedAt => "users.updated_at",
        DateField::LastLogin => "users.last_login",
    }
}

pub(super) fn bind_all<'q>(
    query: sqlx::query::Query<'q, Any, AnyArguments>,
    tenant_id: &'q str,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Any, AnyArguments> {
    bind_values(query.bind(tenant_id), binds)
}

/// Binds `binds` to `query`, in order.
pub(super) fn bind_values<'q>(
    mut query: sqlx::query::Query<'q, Any, AnyArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Any, AnyArguments> {
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.as_str()),
            Bind::Int(n) => query.bind(*n),
            Bind::MaybeText(text) => query.bind(text.as_deref()),
            Bind::MaybeInt(n) => query.bind(*n),
        };
    }
    query
}

/// `search`'s query as written, with the alternatives of an `OR` on one
/// metadata field joined ([`with_alternatives_joined`]).
pub(super) fn plan_as_written(search: &UserSearch) -> SearchPlan {
    SearchPlan::as_written(search.query.as_ref().map(with_alternatives_joined))
}

/// The statement counting, up to [`MAX_RESULTS`] each, the users some parts
/// of a search's `AND` match (SQLite's [`SearchPlan`] is made from it).
pub(super) struct PartCounts {
    sql: String,
    binds: Vec<Bind>,
    parts: Vec<usize>,
}

impl PartCounts {
    /// The count of each part of `plan` worth counting; `None` if none is.
    pub(super) fn of(plan: &SearchPlan) -> Option<PartCounts> {
        let parts = plan.parts_to_count();
        let query = plan.query.as_ref().filter(|_| !parts.is_empty())?;
        let mut condition = Condition::new(false);
        let mut counts = Vec::with_capacity(parts.len());
        for &part in &parts {
            let Query::Term(term) = &conjuncts(query)[part] else {
                unreachable!("only terms are counted")
            };
            let count = condition.count_on_index(term)?;
            counts.push(format!("({count}) AS part{part}"));
        }
        Some(PartCounts {
            sql: format!("SELECT {}", counts.join(", ")),
            binds: condition.binds,
            parts,
        })
    }

    pub(super) fn statement<'q>(
        &'q self,
        tenant_id: &'q str,
    ) -> sqlx::query::Query<'q, Any, AnyArguments> {
        search_statement(&self.sql, tenant_id, &self.binds)
    }

    /// Each counted part with its count, from the statement's row.
    pub(super) fn read(&self, row: &AnyRow) -> Result<Vec<(usize, i64)>, sqlx::Error> {
        (self.parts.iter().enumerate())
            .map(|(column, &part)| Ok((part, row.try_get::<i64, _>(column)?)))
            .collect()
    }
}

/// The statements of a search: its page, and (if asked) its total.
pub(super) struct SearchStatements {
    page: String,
    binds: Vec<Bind>,
    total: String,
    total_binds: Vec<Bind>,
}

impl SearchStatements {
    pub(super) fn new(
        search: &UserSearch,
        plan: &SearchPlan,
        columns: &str,
        postgres: bool,
    ) -> SearchStatements {
        let mut condition = Condition::new(postgres);
        condition.push_planned(plan);
        let user_id = checked_column("users.user_id", plan.sort_checked);
        let order = match search.sort {
            None => format!("{user_id} ASC"),
            Some(sort) => {
                let column = checked_column(
                    match sort.field {
                        SortField::Text(field) => text_column(field),
                        SortField::Date(field) => date_column(field),
                        SortField::LoginsCount => "users.logins_count",
                    },
                    plan.sort_checked,
                );
                // NULL first ascending on both backends (SQLite's order,
                // which the PostgreSQL indexes are declared with).
                let (direction, nulls) = match (sort.descending, postgres) {
                    (false, false) => ("ASC", ""),
                    (true, false) => ("DESC", ""),
                    (false, true) => ("ASC", " NULLS FIRST"),
                    (true, true) => ("DESC", " NULLS LAST"),
                };
                format!("{column} {direction}{nulls}, {user_id} {direction}")
            }
        };
        let tenant = checked_column("users.tenant_id", plan.tenant_checked);
        let filter = format!("{tenant} = $1 AND {}", condition.sql);
        // A lone term with an index is counted on that index alone (a
        // metadata term on its entries: each user's terms are written and
        // deleted with the user).
        let mut lone = Condition::new(postgres);
        let lone_total = match &plan.query {
            Some(Query::Term(term)) => lone.count_on_index(term),
            _ => None,
        };
        let (total, total_binds) = match lone_total {
            Some(total) => (total, lone.binds),
            None => (
                format!(
                    "SELECT COUNT(*) AS total FROM (SELECT 1 FROM users WHERE {filter} \
                     LIMIT {MAX_RESULTS}) AS found"
                ),
                condition.binds.clone(),
            ),
        };
        let limit = condition.bind(Bind::Int(i64::from(search.page_length())));
        let offset = condition.bind(Bind::Int(i64::try_from(search.start()).unwrap_or(i64::MAX)));
        let page = match sorted_on_index(search.sort) {
            true => format!(
                "SELECT {columns} FROM users WHERE {filter} ORDER BY {order} \
                 LIMIT {limit} OFFSET {offset}"
            ),
            // Every match is read and sorted: sorted as keys and sort
            // values, the page's rows read after (SQLite sorted whole rows:
            // 440 ms for 100,000 users; keys alone, 56 ms).
            false => format!(
                "SELECT {columns} FROM users WHERE users.tenant_id = $1 AND users.user_id IN \
                 (SELECT users.user_id FROM users WHERE {filter} ORDER BY {order} \
                 LIMIT {limit} OFFSET {offset}) ORDER BY {order}"
            ),
        };
        SearchStatements {
            page,
            binds: condition.binds,
            total,
            total_binds,
        }
    }

    /// The page's statement and its values after the tenant's.
    #[cfg(test)]
    pub(super) fn page_sql(&self) -> (&str, &[Bind]) {
        (&self.page, &self.binds)
    }

    pub(super) fn page<'q>(
        &'q self,
        tenant_id: &'q str,
    ) -> sqlx::query::Query<'q, Any, AnyArguments> {
        search_statement(&self.page, tenant_id, &self.binds)
    }

    pub(super) fn total<'q>(
        &'q self,
        tenant_id: &'q str,
    ) -> sqlx::query::Query<'q, Any, AnyArguments> {
        search_statement(&self.total, tenant_id, &self.total_binds)
    }
}

/// A search's statement `sql` with its values, to be planned for them:
/// not kept prepared, since PostgreSQL plans a statement run more than five
/// times once for any values, and a search's best plan depends on how many
/// users its values match (a sorted metadata search took 96 ms with that
/// one plan, 2 ms with its own).
fn search_statement<'q>(
    sql: &'q str,
    tenant_id: &'q str,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Any, AnyArguments> {
    bind_all(
        sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false),
        tenant_id,
        binds,
    )
}

/// `query` with the alternatives of each `OR` that match values of one
/// metadata field joined into one term (`plan:gold OR plan:silver` as one
/// term matching either): one read of that field's index entries, which
/// the planners join to the users as they join a single term, where each
/// alternative was a subquery of its own that they read whole.
fn with_alternatives_joined(query: &Query) -> Query {
    match query {
        Query::Term(_) => query.clone(),
        Query::Not(inner) => Query::Not(Box::new(with_alternatives_joined(inner))),
        Query::And(all) => Query::And(all.iter().map(with_alternatives_joined).collect()),
        Query::Or(any) => {
            let mut alternatives: Vec<Query> = Vec::with_capacity(any.len());
            for alternative in any.iter().map(with_alternatives_joined) {
                if let Query::Term(Term::Metadata {
                    field,
                    matcher: ValueMatch::Any(values),
                }) = &alternative
                    && let Some(joined) = alternatives.iter_mut().find_map(|a| match a {
                        Query::Term(Term::Metadata {
                            field: f,
                            matcher: ValueMatch::Any(joined),
                        }) if f == field => Some(joined),
                        _ => None,
                    })
                {
                    for value in values {
                        if !joined.contains(value) {
                            joined.push(value.clone());
                        }
                    }
                    continue;
                }
                alternatives.push(alternative);
            }
            match <[Query; 1]>::try_from(alternatives) {
                Ok([only]) => only,
                Err(alternatives) => Query::Or(alternatives),
            }
        }
    }
}

/// Fills the search columns and terms of the users cached before user
/// search existed (migration 7), in the migration's transaction.
pub(super) async fn backfill(connection: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let rows =
        sqlx::query("SELECT tenant_id, user_id, profile, user_metadata, app_metadata FROM users")
            .fetch_all(&mut *connection)
            .await?;
    for row in rows {
        let tenant_id: String = row.try_get("tenant_id")?;
        let object = |column: &str| -> Result<Map<String, Value>, sqlx::Error> {
            let text: String = row.try_get(column)?;
            serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        };
        let user_id: String = row.try_get("user_id")?;
        let keys = RootKeys::of(&object("profile")?);
        sqlx::query(
            "UPDATE users SET name_key = $1, nickname_key = $2, given_name_key = $3, \
             family_name_key = $4, email_verified = $5 WHERE tenant_id = $6 AND user_id = $7",
        )
        .bind_keys(&keys)
        .bind(&tenant_id)
        .bind(&user_id)
        .execute(&mut *connection)
        .await?;
        for term in metadata_terms(&object("app_metadata")?, &object("user_metadata")?) {
            sqlx::query(
                "INSERT INTO user_terms (tenant_id, user_id, field, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(&tenant_id)
            .bind(&user_id)
            .bind(&term.field)
            .bind(&term.value)
            .execute(&mut *connection)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::with_alternatives_joined;
    use crate::search::{Query, Term, ValueMatch, parse};

    /// The one term matching any of the values `terms` (each `field:value`
    /// of one field) match.
    fn any_of(terms: &[&str]) -> Query {
        let mut values: Vec<String> = Vec::new();
        let mut field = String::new();
        for term in terms {
            let Ok(Query::Term(Term::Metadata {
                field: f,
                matcher: ValueMatch::Any(v),
            })) = parse(term)
            else {
                panic!("{term} is not a metadata value");
            };
            field = f;
            values.extend(
                v.into_iter()
                    .filter(|v| !values.contains(v))
                    .collect::<Vec<_>>(),
            );
        }
        Query::Term(Term::Metadata {
            field,
            matcher: ValueMatch::Any(values),
        })
    }

    #[test]
    fn alternatives_of_one_metadata_field_are_joined_into_one_term() {
        let joined = |q: &str| with_alternatives_joined(&parse(q).unwrap());
        assert_eq!(
            joined("app_metadata.plan:gold OR app_metadata.plan:silver"),
            any_of(&["app_metadata.plan:gold", "app_metadata.plan:silver"])
        );
        assert_eq!(
            joined(
                "(app_metadata.plan:gold OR name:ada OR app_metadata.plan:gold \
                 OR app_metadata.plan:free) AND NOT (app_metadata.n:1 OR app_metadata.n:2)"
            ),
            Query::And(vec![
                Query::Or(vec![
                    any_of(&["app_metadata.plan:gold", "app_metadata.plan:free"]),
                    parse("name:ada").unwrap(),
                ]),
                Query::Not(Box::new(any_of(&["app_metadata.n:1", "app_metadata.n:2"]))),
            ])
        );
        // A prefix, another field, or an AND are searched as written.
        for kept in [
            "app_metadata.plan:gold OR app_metadata.plan:go*",
            "app_metadata.plan:gold OR user_metadata.plan:gold",
            "app_metadata.plan:gold AND app_metadata.plan:silver",
        ] {
            assert_eq!(joined(kept), parse(kept).unwrap(), "{kept}");
        }
    }
}
