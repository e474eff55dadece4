//! Metadata updates (docs/behaviour.md §4): top-level keys are merged, a key set
//! to `null` is deleted, a nested object replaces the old value whole, `{}`
//! clears the object; keys with `.` or `$` are refused; the two metadata
//! objects together stay under a size cap.

use serde_json::{Map, Value};

use crate::runtime::profile::metadata_keys;

/// The default cap on `user_metadata` and `app_metadata` together, as JSON.
pub const DEFAULT_MAX_METADATA_BYTES: usize = 16 << 10;

/// Why a metadata update was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The value is not a JSON object.
    #[error("{0} must be an object")]
    NotAnObject(String),
    /// A key anywhere in it has `.` or `$`.
    #[error("{0}")]
    InvalidKey(String),
    /// Both objects together are over the cap.
    #[error(
        "user_metadata and app_metadata together would take {size} bytes, over the {max}-byte limit"
    )]
    TooLarge {
        /// Their size as JSON after the update.
        size: usize,
        /// The cap.
        max: usize,
    },
}

/// The request's value of the metadata attribute `field`, checked: an
/// object whose keys (at any depth) have no `.` or `$`.
pub fn metadata_update(value: &Value, field: &str) -> Result<Map<String, Value>, MetadataError> {
    let Value::Object(update) = value else {
        return Err(MetadataError::NotAnObject(field.into()));
    };
    metadata_keys(update, field).map_err(|e| MetadataError::InvalidKey(e.to_string()))?;
    Ok(update.clone())
}

/// `current` with `update` merged in.
pub fn merge(current: &Map<String, Value>, update: &Map<String, Value>) -> Map<String, Value> {
    if update.is_empty() {
        return Map::new();
    }
    let mut merged = current.clone();
    for (key, value) in update {
        match value {
            Value::Null => merged.remove(key),
            other => merged.insert(key.clone(), other.clone()),
        };
    }
    merged
}

/// Refuses metadata over `max` bytes of JSON, both objects together.
pub fn check_size(
    user_metadata: &Map<String, Value>,
    app_metadata: &Map<String, Value>,
    max: usize,
) -> Result<(), MetadataError> {
    let size = json_len(user_metadata) + json_len(app_metadata);
    if size > max {
        return Err(MetadataError::TooLarge { size, max });
    }
    Ok(())
}

fn json_len(object: &Map<String, Value>) -> usize {
    serde_json::to_vec(object).map_or(usize::MAX, |bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn top_level_keys_merge_null_deletes_nested_objects_replace() {
        let current = object(json!({"a": 1, "b": {"x": 1, "y": 2}, "c": 3}));
        let update = object(json!({"a": 2, "b": {"z": 9}, "c": null, "d": [1]}));
        assert_eq!(
            Value::Object(merge(&current, &update)),
            json!({"a": 2, "b": {"z": 9}, "d": [1]})
        );
    }

    #[test]
    fn an_empty_object_clears() {
        let current = object(json!({"a": 1}));
        assert_eq!(merge(&current, &Map::new()), Map::new());
    }

    #[test]
    fn bad_keys_and_non_objects_are_refused() {
        let dotted = metadata_update(&json!({"ok": {"a.b": 1}}), "user_metadata").unwrap_err();
        assert!(
            dotted.to_string().contains("user_metadata.ok.a.b"),
            "{dotted}"
        );
        assert!(metadata_update(&json!({"$set": 1}), "user_metadata").is_err());
        assert_eq!(
            metadata_update(&json!([1]), "app_metadata"),
            Err(MetadataError::NotAnObject("app_metadata".into()))
        );
        let fine = json!({"ok": {"nested": 1}});
        assert_eq!(metadata_update(&fine, "user_metadata"), Ok(object(fine)));
    }

    #[test]
    fn the_size_cap_counts_both_objects() {
        let half = object(json!({"k": "x".repeat(9000)}));
        assert!(check_size(&half, &Map::new(), DEFAULT_MAX_METADATA_BYTES).is_ok());
        assert!(matches!(
            check_size(&half, &half, DEFAULT_MAX_METADATA_BYTES),
            Err(MetadataError::TooLarge { .. })
        ));
    }
}
