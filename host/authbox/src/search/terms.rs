//! The searchable terms of a user's metadata: every scalar, under its path
//! with array levels left out (`user_metadata.addresses.city` finds a city
//! in any address, as Auth0 does), encoded with its type so that `42`,
//! `"42"` and `true` stay apart. The store keeps them in an index table; a
//! query's value is encoded the same way. As in Auth0, null, empty arrays
//! and empty objects are not searchable; nor are strings longer than
//! [`MAX_TERM_BYTES`].

use serde_json::{Map, Value};

/// The longest string value that is searchable (index entries are bounded).
pub const MAX_TERM_BYTES: usize = 256;

/// One searchable value: `field` like `app_metadata.plan`, `value` like
/// `s:gold`, `n:42`, `b:true`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetadataTerm {
    /// The path from the metadata object's name, dot-separated.
    pub field: String,
    /// The encoded value.
    pub value: String,
}

/// The terms of both metadata objects, sorted, without repeats.
pub fn metadata_terms(
    app_metadata: &Map<String, Value>,
    user_metadata: &Map<String, Value>,
) -> Vec<MetadataTerm> {
    let mut terms = object_terms("app_metadata", app_metadata);
    terms.extend(object_terms("user_metadata", user_metadata));
    terms
}

/// The terms of one metadata object named `root` (`app_metadata` or
/// `user_metadata`), sorted, without repeats.
pub fn object_terms(root: &str, object: &Map<String, Value>) -> Vec<MetadataTerm> {
    let mut terms = Vec::new();
    for (key, value) in object {
        collect(&format!("{root}.{key}"), value, &mut terms);
    }
    terms.sort();
    terms.dedup();
    terms
}

fn collect(field: &str, value: &Value, terms: &mut Vec<MetadataTerm>) {
    let encoded = match value {
        Value::Null => return,
        Value::Bool(b) => format!("b:{b}"),
        Value::Number(n) => match n.as_f64() {
            Some(n) => format!("n:{}", number_text(n)),
            None => return,
        },
        Value::String(s) if s.len() <= MAX_TERM_BYTES => format!("s:{s}"),
        Value::String(_) => return,
        Value::Array(items) => {
            for item in items {
                collect(field, item, terms);
            }
            return;
        }
        Value::Object(object) => {
            for (key, value) in object {
                collect(&format!("{field}.{key}"), value, terms);
            }
            return;
        }
    };
    terms.push(MetadataTerm {
        field: field.to_string(),
        value: encoded,
    });
}

/// One text per number: `42` and `42.0` are the same term.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The encoded values a written value may stand for: always the string;
/// also the number or the boolean it spells.
pub(super) fn encoded_candidates(written: &str) -> Vec<String> {
    let mut candidates = vec![format!("s:{written}")];
    if let Ok(n) = written.parse::<f64>()
        && n.is_finite()
    {
        candidates.push(format!("n:{}", number_text(n)));
    }
    if written == "true" || written == "false" {
        candidates.push(format!("b:{written}"));
    }
    candidates
}

/// The encoded form of a string prefix.
pub(super) fn encoded_prefix(written: &str) -> String {
    format!("s:{written}")
}
