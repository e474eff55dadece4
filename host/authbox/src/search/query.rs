//! The query syntax: `field:value` terms (a word, a `"quoted phrase"`, a
//! `prefix*`, `*` for "has a value", `[a TO b]` / `{a TO b}` ranges with
//! `*` for an open end), `AND`, `OR`, `NOT`, parentheses. As in Lucene, two
//! terms side by side mean `OR`. Values match whole field values.

use sqlx::types::chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::SearchError;
use super::terms::{encoded_candidates, encoded_prefix};

/// The longest query accepted, in bytes.
const MAX_QUERY_BYTES: usize = 4096;
/// The most terms in one query: each is a condition of the store's query.
const MAX_TERMS: usize = 50;
/// The deepest nesting of parentheses and `NOT`s.
const MAX_DEPTH: usize = 16;

/// A parsed query of conditions `T` (a user search's [`Term`]s by
/// default).
#[derive(Debug, Clone, PartialEq)]
pub enum Query<T = Term> {
    /// One condition.
    Term(T),
    /// All of them.
    And(Vec<Query<T>>),
    /// Any of them.
    Or(Vec<Query<T>>),
    /// Not this one.
    Not(Box<Query<T>>),
}

/// One condition on one field, its value already in the form the store
/// keeps (lowercased for the case-insensitive fields, dates in the stored
/// format, metadata values encoded as their terms are).
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A text field of the user.
    Text(TextField, TextMatch),
    /// `identities.connection`: the name of the user's connection.
    Connection(TextMatch),
    /// `blocked`, `email_verified`.
    Flag(FlagField, bool),
    /// `logins_count` from / to (`None`: open).
    LoginsCount(Option<Bound<i64>>, Option<Bound<i64>>),
    /// A date from / to (`None`: open).
    Date(DateField, Option<Bound<String>>, Option<Bound<String>>),
    /// `app_metadata.<path>` / `user_metadata.<path>`.
    Metadata {
        /// The field as its terms are kept (`app_metadata.plan`).
        field: String,
        /// Which values.
        matcher: ValueMatch,
    },
}

/// How a text field is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    /// The whole value.
    Exact(String),
    /// Values starting with it.
    Prefix(String),
    /// Any value.
    Exists,
}

/// How a metadata field is matched: against its encoded terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMatch {
    /// Any of these encoded values (a word may be a string, a number or a
    /// boolean).
    Any(Vec<String>),
    /// Strings starting with it (encoded).
    Prefix(String),
    /// Any scalar value.
    Exists,
}

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound<T> {
    /// The value.
    pub value: T,
    /// Whether the value itself is in the range.
    pub inclusive: bool,
}

/// The text fields: each a column of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    /// `email`, any case.
    Email,
    /// `user_id`, exact.
    UserId,
    /// `username`, exact.
    Username,
    /// `name`, any case.
    Name,
    /// `nickname`, any case.
    Nickname,
    /// `given_name`, any case.
    GivenName,
    /// `family_name`, any case.
    FamilyName,
}

impl TextField {
    /// Their names in queries.
    pub const NAMES: &[&str] = &[
        "email",
        "user_id",
        "username",
        "name",
        "nickname",
        "given_name",
        "family_name",
    ];

    /// The field of this name.
    pub fn named(name: &str) -> Option<TextField> {
        Some(match name {
            "email" => TextField::Email,
            "user_id" => TextField::UserId,
            "username" => TextField::Username,
            "name" => TextField::Name,
            "nickname" => TextField::Nickname,
            "given_name" => TextField::GivenName,
            "family_name" => TextField::FamilyName,
            _ => return None,
        })
    }

    /// Whether it matches in any case (Auth0's normalized fields).
    pub fn case_insensitive(self) -> bool {
        !matches!(self, TextField::UserId | TextField::Username)
    }
}

/// The true/false fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagField {
    /// Logins refused.
    Blocked,
    /// The script said the email is verified.
    EmailVerified,
}

/// The date fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    /// First cached.
    CreatedAt,
    /// Last written.
    UpdatedAt,
    /// Last login.
    LastLogin,
}

impl DateField {
    /// The field of this name.
    pub fn named(name: &str) -> Option<DateField> {
        Some(match name {
            "created_at" => DateField::CreatedAt,
            "updated_at" => DateField::UpdatedAt,
            "last_login" => DateField::LastLogin,
            _ => return None,
        })
    }
}

/// Parses a user search's `q`.
pub fn parse(text: &str) -> Result<Query, SearchError> {
    parse_with(text, term)
}

/// Parses a query whose `field:value` terms `resolve` makes conditions of
/// (or refuses, naming why).
pub fn parse_with<T>(
    text: &str,
    resolve: impl Fn(&str, Written) -> Result<T, SearchError>,
) -> Result<Query<T>, SearchError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(SearchError(format!(
            "the query is longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(SearchError(
            "the query is empty: give field:value terms, e.g. email:\"ada@example.com\"".into(),
        ));
    }
    let terms = tokens
        .iter()
        .filter(|t| matches!(t, Token::Term(..)))
        .count();
    if terms > MAX_TERMS {
        return Err(SearchError(format!(
            "the query has {terms} terms; at most {MAX_TERMS} are supported"
        )));
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        resolve,
    };
    let query = parser.or(0)?;
    match parser.tokens.get(parser.at) {
        None => Ok(query),
        Some(Token::Close) => Err(SearchError("a `)` closes no `(`".into())),
        Some(other) => Err(SearchError(format!("unexpected {other}"))),
    }
}

/// What the tokenizer reads.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Term(String, Written),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Open => f.write_str("`(`"),
            Token::Close => f.write_str("`)`"),
            Token::And => f.write_str("`AND`"),
            Token::Or => f.write_str("`OR`"),
            Token::Not => f.write_str("`NOT`"),
            Token::Term(field, _) => write!(f, "term `{field}:...`"),
        }
    }
}

/// A term's value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// A word or a quoted phrase: the whole value.
    Exact(String),
    /// `word*`.
    Prefix(String),
    /// `*`.
    Any,
    /// `[a TO b]`; `None` for `*`.
    Range(Option<Bound<String>>, Option<Bound<String>>),
}

fn tokenize(text: &str) -> Result<Vec<Token>, SearchError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '(' || c == ')' {
            chars.next();
            tokens.push(if c == '(' { Token::Open } else { Token::Close });
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '(' || c == ')' || c == ':' || c == '"' {
                break;
            }
            word.push(c);
            chars.next();
        }
        match (word.as_str(), chars.peek()) {
            ("AND" | "&&", _) => tokens.push(Token::And),
            ("OR" | "||", _) => tokens.push(Token::Or),
            ("NOT", _) => tokens.push(Token::Not),
            (field, Some(':')) if !field.is_empty() => {
                chars.next();
                let value = value(field, &mut chars)?;
                tokens.push(Token::Term(word, value));
            }
            ("", _) => {
                return Err(SearchError(format!(
                    "unexpected `{c}`: a term is field:value, e.g. name:\"Ada Lovelace\""
                )));
            }
            (word, _) => {
                let hint = match word {
                    "and" | "or" | "not" => " (operators are written AND, OR, NOT in capitals)",
                    _ => "",
                };
                return Err(SearchError(format!(
                    "`{word}` names no field: searching every field is not supported; \
                     write field:value, e.g. email:\"{word}\"{hint}"
                )));
            }
        }
    }
    Ok(tokens)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// The value after `field:`.
fn value(field: &str, chars: &mut Chars) -> Result<Written, SearchError> {
    match chars.peek() {
        Some('"') => {
            chars.next();
            Ok(Written::Exact(quoted(field, chars)?))
        }
        Some('[' | '{') => range(field, chars),
        Some('(') => Err(SearchError(format!(
            "grouped values (`{field}:(a OR b)`) are not supported: write ({field}:a OR {field}:b)"
        ))),
        None => Err(SearchError(format!("`{field}:` has no value"))),
        Some(c) if c.is_whitespace() => Err(SearchError(format!("`{field}:` has no value"))),
        Some(_) => {
            let (text, star) = word(field, chars)?;
            Ok(match (text.is_empty(), star) {
                (true, true) => Written::Any,
                (false, true) => Written::Prefix(text),
                (_, false) => Written::Exact(text),
            })
        }
    }
}

/// A `"..."` after its opening quote; `\` escapes the next character.
fn quoted(field: &str, chars: &mut Chars) -> Result<String, SearchError> {
    let mut text = String::new();
    loop {
        match chars.next() {
            None => {
                return Err(SearchError(format!(
                    "the quoted value of `{field}` has no closing `\"`"
                )));
            }
            Some('"') => return Ok(text),
            Some('\\') => match chars.next() {
                Some(c) => text.push(c),
                None => {
                    return Err(SearchError(format!(
                        "the quoted value of `{field}` ends in `\\`"
                    )));
                }
            },
            Some(c) => text.push(c),
        }
    }
}

/// A bare word up to a space or parenthesis, and whether it ends in an
/// unescaped `*`. `\` escapes the next character.
fn word(field: &str, chars: &mut Chars) -> Result<(String, bool), SearchError> {
    let mut text = String::new();
    let mut star = false;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == '(' || c == ')' {
            break;
        }
        chars.next();
        if star {
            return Err(wildcard(field));
        }
        match c {
            '\\' => match chars.next() {
                Some(c) => text.push(c),
                None => return Err(SearchError(format!("the value of `{field}` ends in `\\`"))),
            },
            '*' => star = true,
            '?' => return Err(wildcard(field)),
            '"' | '[' | ']' | '{' | '}' | ':' => {
                return Err(SearchError(format!(
                    "`{c}` in the value of `{field}`: quote the value or escape it with `\\`"
                )));
            }
            c => text.push(c),
        }
    }
    Ok((text, star))
}

fn wildcard(field: &str) -> SearchError {
    SearchError(format!(
        "in `{field}`, only a `*` at the end of a value is supported (e.g. {field}:jo*): \
         leading and inner wildcards and `?` are not"
    ))
}

/// `[a TO b]`, `{a TO b}` or a mix; `*` is an open end.
fn range(field: &str, chars: &mut Chars) -> Result<Written, SearchError> {
    let lower_inclusive = chars.next() == Some('[');
    let mut inside = String::new();
    let upper_inclusive = loop {
        match chars.next() {
            Some(']') => break true,
            Some('}') => break false,
            Some(c) => inside.push(c),
            None => {
                return Err(SearchError(format!(
                    "the range of `{field}` has no closing `]` or `}}`"
                )));
            }
        }
    };
    let parts: Vec<&str> = inside.split_whitespace().collect();
    let [lower, "TO", upper] = parts.as_slice() else {
        return Err(SearchError(format!(
            "the range of `{field}` is not `[from TO to]` (e.g. {field}:[1 TO 10], * for an open end)"
        )));
    };
    let bound = |text: &str, inclusive| {
        let text = text.trim_matches('"');
        (text != "*").then(|| Bound {
            value: text.to_string(),
            inclusive,
        })
    };
    Ok(Written::Range(
        bound(lower, lower_inclusive),
        bound(upper, upper_inclusive),
    ))
}

struct Parser<R> {
    tokens: Vec<Token>,
    at: usize,
    resolve: R,
}

impl<T, R: Fn(&str, Written) -> Result<T, SearchError>> Parser<R> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// Terms joined by `OR`, or by nothing (Lucene's default operator).
    fn or(&mut self, depth: usize) -> Result<Query<T>, SearchError> {
        let mut any = vec![self.and(depth)?];
        loop {
            match self.peek() {
                Some(Token::Or) => {
                    self.at += 1;
                    any.push(self.and(depth)?);
                }
                Some(Token::Open | Token::Not | Token::Term(..)) => any.push(self.and(depth)?),
                _ => break,
            }
        }
        Ok(match any.len() {
            1 => any.remove(0),
            _ => Query::Or(any),
        })
    }

    fn and(&mut self, depth: usize) -> Result<Query<T>, SearchError> {
        let mut all = vec![self.unary(depth)?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            all.push(self.unary(depth)?);
        }
        Ok(match all.len() {
            1 => all.remove(0),
            _ => Query::And(all),
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Query<T>, SearchError> {
        if depth > MAX_DEPTH {
            return Err(SearchError(format!(
                "the query nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let token = self.peek().cloned();
        self.at += 1;
        match token {
            Some(Token::Not) => Ok(Query::Not(Box::new(self.unary(depth + 1)?))),
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                match self.peek() {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err(SearchError("a `(` is never closed".into())),
                }
            }
            Some(Token::Term(field, value)) => (self.resolve)(&field, value).map(Query::Term),
            Some(other) => Err(SearchError(format!(
                "unexpected {other}: a term was expected"
            ))),
            None => Err(SearchError(
                "the query ends where a term was expected".into(),
            )),
        }
    }
}

/// The condition `field:value` stands for.
fn term(field: &str, value: Written) -> Result<Term, SearchError> {
    if let Some(text) = TextField::named(field) {
        let lower = |v: String| match text.case_insensitive() {
            true => v.to_lowercase(),
            false => v,
        };
        return Ok(Term::Text(text, text_match(field, value, lower)?));
    }
    if field == "identities.connection" {
        return Ok(Term::Connection(text_match(field, value, |v| v)?));
    }
    if let Some(date) = DateField::named(field) {
        let (from, to) = date_range(field, value)?;
        return Ok(Term::Date(date, from, to));
    }
    match field {
        "blocked" => return Ok(Term::Flag(FlagField::Blocked, flag(field, value)?)),
        "email_verified" => return Ok(Term::Flag(FlagField::EmailVerified, flag(field, value)?)),
        "logins_count" => {
            let (from, to) = count_range(field, value)?;
            return Ok(Term::LoginsCount(from, to));
        }
        _ => {}
    }
    if let Some(path) = field
        .strip_prefix("app_metadata.")
        .or_else(|| field.strip_prefix("user_metadata."))
    {
        if path.split('.').any(str::is_empty) {
            return Err(SearchError(format!("`{field}` has an empty key")));
        }
        let matcher = match value {
            Written::Exact(v) => ValueMatch::Any(encoded_candidates(&v)),
            Written::Prefix(p) => ValueMatch::Prefix(encoded_prefix(&p)),
            Written::Any => ValueMatch::Exists,
            Written::Range(..) => {
                return Err(SearchError(format!(
                    "ranges on metadata (`{field}`) are not supported"
                )));
            }
        };
        return Ok(Term::Metadata {
            field: field.to_string(),
            matcher,
        });
    }
    Err(SearchError(format!(
        "searching `{field}` is not supported: authbox searches {}, identities.connection, \
         blocked, email_verified, logins_count, created_at, updated_at, last_login, \
         app_metadata.<key> and user_metadata.<key>",
        TextField::NAMES.join(", ")
    )))
}

pub(crate) fn text_match(
    field: &str,
    value: Written,
    normalize: impl Fn(String) -> String,
) -> Result<TextMatch, SearchError> {
    Ok(match value {
        Written::Exact(v) if v.is_empty() => {
            return Err(SearchError(format!("`{field}` has an empty value")));
        }
        Written::Exact(v) => TextMatch::Exact(normalize(v)),
        Written::Prefix(p) => TextMatch::Prefix(normalize(p)),
        Written::Any => TextMatch::Exists,
        Written::Range(..) => {
            return Err(SearchError(format!(
                "ranges on `{field}` are not supported: ranges are for logins_count and dates"
            )));
        }
    })
}

fn flag(field: &str, value: Written) -> Result<bool, SearchError> {
    match value {
        Written::Exact(v) if v == "true" => Ok(true),
        Written::Exact(v) if v == "false" => Ok(false),
        _ => Err(SearchError(format!("`{field}` is true or false"))),
    }
}

pub(crate) type Range<T> = (Option<Bound<T>>, Option<Bound<T>>);

fn count_range(field: &str, value: Written) -> Result<Range<i64>, SearchError> {
    let number = |text: &str| {
        text.parse::<i64>()
            .map_err(|_| SearchError(format!("`{field}` is a whole number, not `{text}`")))
    };
    match value {
        Written::Exact(v) => {
            let n = number(&v)?;
            let at = Some(Bound {
                value: n,
                inclusive: true,
            });
            Ok((at.clone(), at))
        }
        Written::Range(from, to) => {
            let end = |b: Option<Bound<String>>| {
                b.map(|b| {
                    Ok(Bound {
                        value: number(&b.value)?,
                        inclusive: b.inclusive,
                    })
                })
                .transpose()
            };
            Ok((end(from)?, end(to)?))
        }
        _ => Err(SearchError(format!(
            "`{field}` takes a number or a range, e.g. {field}:[1 TO 10]"
        ))),
    }
}

/// A date bound as written: a day covers the whole day.
enum WrittenDate {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

fn written_date(field: &str, text: &str) -> Result<WrittenDate, SearchError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(WrittenDate::Instant(at.with_timezone(&Utc)));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(WrittenDate::Instant(at.and_utc()));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(WrittenDate::Day(day));
    }
    Err(SearchError(format!(
        "`{field}` takes dates as 2024-01-31 or 2024-01-31T12:00:00Z, not `{text}`"
    )))
}

/// In the store's format (RFC 3339, UTC, milliseconds).
fn stored(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(Default::default()).and_utc()
}

fn day_after(field: &str, day: NaiveDate) -> Result<DateTime<Utc>, SearchError> {
    day.succ_opt()
        .map(start_of)
        .ok_or_else(|| SearchError(format!("the date of `{field}` is out of range")))
}

pub(crate) fn date_range(field: &str, value: Written) -> Result<Range<String>, SearchError> {
    let at = |at: DateTime<Utc>, inclusive| Bound {
        value: stored(at),
        inclusive,
    };
    // A day as a lower end starts at its midnight (or the next, excluded);
    // as an upper end it ends at the next midnight (or its own, excluded).
    let lower = |b: Bound<String>| -> Result<Bound<String>, SearchError> {
        Ok(match written_date(field, &b.value)? {
            WrittenDate::Instant(t) => at(t, b.inclusive),
            WrittenDate::Day(d) if b.inclusive => at(start_of(d), true),
            WrittenDate::Day(d) => at(day_after(field, d)?, true),
        })
    };
    let upper = |b: Bound<String>| -> Result<Bound<String>, SearchError> {
        Ok(match written_date(field, &b.value)? {
            WrittenDate::Instant(t) => at(t, b.inclusive),
            WrittenDate::Day(d) if b.inclusive => at(day_after(field, d)?, false),
            WrittenDate::Day(d) => at(start_of(d), false),
        })
    };
    match value {
        Written::Exact(v) => {
            let on = Bound {
                value: v,
                inclusive: true,
            };
            Ok((Some(lower(on.clone())?), Some(upper(on)?)))
        }
        Written::Range(from, to) => Ok((from.map(lower).transpose()?, to.map(upper).transpose()?)),
        Written::Any => Ok((None, None)),
        Written::Prefix(_) => Err(SearchError(format!(
            "`{field}` takes a date or a range, e.g. {field}:[2024-01-01 TO *]"
        ))),
    }
}
