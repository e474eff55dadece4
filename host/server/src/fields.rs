//! Auth0's `fields` and `include_fields` query parameters: an answer's
//! objects keep only the named properties (`include_fields=true`, the
//! default) or all but them.

use serde::Serialize;
use serde_json::Value;

/// Which properties of each answered object are kept.
pub struct Fields {
    names: Vec<String>,
    include: bool,
}

impl Fields {
    /// From the query string's `fields` (comma-separated) and
    /// `include_fields`; no `fields` keeps everything.
    pub fn new(fields: Option<&str>, include_fields: Option<bool>) -> Fields {
        let names = fields
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
        Fields {
            names,
            include: include_fields.unwrap_or(true),
        }
    }

    /// `item` as JSON, with only the chosen properties.
    pub fn apply(&self, item: &impl Serialize) -> Value {
        let mut value = serde_json::to_value(item).unwrap_or(Value::Null);
        if let (Value::Object(object), false) = (&mut value, self.names.is_empty()) {
            object.retain(|key, _| self.names.contains(key) == self.include);
        }
        value
    }

    /// Each of `items`, with only the chosen properties.
    pub fn apply_all<T: Serialize>(&self, items: &[T]) -> Vec<Value> {
        items.iter().map(|item| self.apply(item)).collect()
    }
}
