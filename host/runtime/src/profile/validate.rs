//! The validation rules of docs/behaviour.md §2; each failure names its field.

use serde_json::{Map, Value};

/// A profile a script returned that authbox refuses to cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid profile: `{field}` {reason}")]
pub struct InvalidProfile {
    /// The offending attribute (dotted path inside metadata).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidProfile {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        InvalidProfile {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Keys `app_metadata` may not hold: Auth0 reserves them.
pub(super) const RESERVED_APP_METADATA: &[&str] = &[
    "__tenant",
    "_id",
    "blocked",
    "clientID",
    "created_at",
    "email_verified",
    "email",
    "globalClientID",
    "global_client_id",
    "identities",
    "lastIP",
    "lastLogin",
    "loginsCount",
    "metadata",
    "multifactor_last_modified",
    "multifactor",
    "updated_at",
    "user_id",
];

fn json_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len())
}

/// The whole profile fits in `max_bytes` of JSON; if not, names the largest attribute.
pub(super) fn size(
    attributes: &Map<String, Value>,
    max_bytes: usize,
) -> Result<(), InvalidProfile> {
    let sizes: Vec<(Option<&String>, usize)> = attributes
        .iter()
        .map(|(k, v)| (Some(k), k.len() + json_len(v)))
        .collect();
    let total: usize = sizes.iter().map(|(_, n)| n).sum();
    if total <= max_bytes {
        return Ok(());
    }
    let (largest, largest_size) = sizes
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .unwrap_or_default();
    Err(InvalidProfile::new(
        largest.map_or("", String::as_str),
        format!(
            "makes the profile too large: {total} bytes of JSON, over the {max_bytes}-byte limit ({largest_size} bytes in this attribute)"
        ),
    ))
}

/// The returned id (`user_id`, or its alias `id`), a non-empty string or number.
pub(super) fn user_id(attributes: &mut Map<String, Value>) -> Result<String, InvalidProfile> {
    let alias = attributes.remove("id");
    let id = match attributes.remove("user_id") {
        Some(Value::String(s)) if s.is_empty() => alias,
        Some(value) => Some(value),
        None => alias,
    };
    match id {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::Number(n)) => Ok(n.to_string()),
        None | Some(Value::String(_)) => Err(InvalidProfile::new(
            "user_id",
            "is required (or `id`) and must not be empty",
        )),
        Some(_) => Err(InvalidProfile::new(
            "user_id",
            "must be a string or a number",
        )),
    }
}

/// Removes `field` from `attributes`: absent, or a string passing `check`.
pub(super) fn take_string(
    attributes: &mut Map<String, Value>,
    field: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<Option<String>, InvalidProfile> {
    match attributes.remove(field) {
        None => Ok(None),
        Some(Value::String(s)) => check(&s)
            .map(|()| Some(s))
            .map_err(|reason| InvalidProfile::new(field, reason)),
        Some(_) => Err(InvalidProfile::new(field, "must be a string")),
    }
}

/// Removes `field` from `attributes`: absent, or a boolean.
pub(super) fn take_bool(
    attributes: &mut Map<String, Value>,
    field: &str,
) -> Result<Option<bool>, InvalidProfile> {
    match attributes.remove(field) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(InvalidProfile::new(field, "must be a boolean")),
    }
}

/// Removes a metadata object from `attributes`: absent (empty), or an object
/// whose keys, at any depth, hold no `.` or `$`, and none of `reserved` at the top.
pub(super) fn take_metadata(
    attributes: &mut Map<String, Value>,
    field: &str,
    reserved: &[&str],
) -> Result<Map<String, Value>, InvalidProfile> {
    let object = match attributes.remove(field) {
        None => return Ok(Map::new()),
        Some(Value::Object(object)) => object,
        // A script's metadata arrives as JSON text; text that did not parse stays a string.
        Some(_) => return Err(InvalidProfile::new(field, "must be a JSON object")),
    };
    if let Some(key) = object.keys().find(|k| reserved.contains(&k.as_str())) {
        return Err(InvalidProfile::new(
            format!("{field}.{key}"),
            "is a reserved key",
        ));
    }
    metadata_keys(&object, field)?;
    Ok(object)
}

/// Metadata keys anywhere in `object` (whose path is `path`) hold no `.` or `$`.
pub fn metadata_keys(object: &Map<String, Value>, path: &str) -> Result<(), InvalidProfile> {
    object.iter().try_for_each(|(key, inner)| {
        if key.contains(['.', '$']) {
            return Err(InvalidProfile::new(
                format!("{path}.{key}"),
                "is not a valid key: keys may not contain `.` or `$`",
            ));
        }
        nested_metadata_keys(inner, &|| format!("{path}.{key}"))
    })
}

fn nested_metadata_keys(value: &Value, path: &dyn Fn() -> String) -> Result<(), InvalidProfile> {
    match value {
        Value::Object(object) => metadata_keys(object, &path()),
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| nested_metadata_keys(item, path)),
        _ => Ok(()),
    }
}

/// Between 1 and `max` characters.
pub fn length(value: &str, max: usize) -> Result<(), String> {
    let count = value.chars().count();
    if (1..=max).contains(&count) {
        Ok(())
    } else {
        Err(format!("must be 1 to {max} characters long (is {count})"))
    }
}

/// At most 254 characters, a local part of at most 64, and an address form:
/// `local@domain` with no spaces, and a domain of dot-separated labels.
pub fn email(value: &str) -> Result<(), String> {
    if value.chars().count() > 254 {
        return Err("must be at most 254 characters long".into());
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Err(format!(
            "is not a valid email address: {value:?} has no `@`"
        ));
    };
    if local.chars().count() > 64 {
        return Err("has a local part longer than 64 characters".into());
    }
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.contains(|c: char| c.is_whitespace() || c.is_control() || c == '@');
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let domain_ok = domain.contains('.') && domain.split('.').all(label_ok);
    if local_ok && domain_ok {
        Ok(())
    } else {
        Err(format!("is not a valid email address: {value:?}"))
    }
}

/// E.164: `+` and 1 to 15 digits.
pub(super) fn phone_number(value: &str) -> Result<(), String> {
    let digits = value.strip_prefix('+').unwrap_or("");
    if (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "must be in E.164 form (`+` and 1 to 15 digits), not {value:?}"
        ))
    }
}

/// An absolute http(s) URL with a host.
pub(super) fn picture(value: &str) -> Result<(), String> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(format!("must be an absolute http(s) URL, not {value:?}")),
    }
}
