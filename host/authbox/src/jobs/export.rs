//! What a users export writes: its format and fields (checked when the job
//! is made), and the file, compressed as it is written. As Auth0 writes it:
//! `json` is NDJSON (one user per line), `csv` has a header of the column
//! names and escapes every string against formula injection (OWASP: the
//! string is prefixed with `'`, its `"` doubled, and it is quoted; the
//! dates authbox writes are left as they are).

use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{MAX_EXPORT_FIELDS, MAX_EXPORT_FILE_BYTES};

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON object per line (NDJSON).
    Json,
    /// Comma-separated values with a header.
    #[default]
    Csv,
}

/// A field of the users to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportField {
    /// A path in the user as the Management API shows it: `email`,
    /// `user_metadata.country`, `identities[0].connection`.
    #[schema(
        pattern = r"^[A-Za-z0-9_$-]+(\[[0-9]{1,9}\])*(\.[A-Za-z0-9_$-]+(\[[0-9]{1,9}\])*)*$",
        max_length = 100
    )]
    pub name: String,
    /// The column's (or the JSON key's) name instead of `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100)]
    pub export_as: Option<String>,
}

impl ExportField {
    /// The column's or key's name.
    pub fn column(&self) -> &str {
        self.export_as.as_deref().unwrap_or(&self.name)
    }
}

/// The fields a CSV export has when none are asked for: the root
/// attributes of the normalized profile.
const DEFAULT_CSV_FIELDS: &[&str] = &[
    "user_id",
    "email",
    "email_verified",
    "username",
    "phone_number",
    "phone_verified",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
    "blocked",
    "created_at",
    "updated_at",
    "last_login",
    "last_ip",
    "logins_count",
];

/// Attributes whose values are dates authbox writes (RFC 3339): written
/// to CSV without the injection escape, as Auth0 does.
const DATES: &[&str] = &[
    "created_at",
    "updated_at",
    "last_login",
    "last_password_reset",
    "migrated_at",
];

/// One step of a field's path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `identities[0].connection` → `identities`, `0`, `connection`.
fn path(name: &str) -> Result<Vec<Step>, String> {
    let bad = || {
        format!(
            "fields: `{name}` is not a field path (keys separated by `.`, with `[n]` for an array's item)"
        )
    };
    let mut steps = Vec::new();
    for part in name.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(at) => part.split_at(at),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(bad());
        }
        steps.push(Step::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            let index = rest[1..close].parse().map_err(|_| bad())?;
            steps.push(Step::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad());
            }
        }
    }
    Ok(steps)
}

/// The fields of an export, checked: at most [`MAX_EXPORT_FIELDS`], each a
/// field path of at most 100 characters; in JSON no key twice (one would
/// hide the other; a CSV may repeat a column's name). None asked
/// for: CSV has the root attributes, JSON the whole user. (Auth0 refuses a
/// whole object, such as `user_metadata`, as a CSV column; authbox writes
/// its JSON text, escaped as any string.)
pub fn export_fields(
    format: ExportFormat,
    fields: Vec<ExportField>,
) -> Result<Vec<ExportField>, String> {
    if fields.is_empty() && format == ExportFormat::Csv {
        return Ok(DEFAULT_CSV_FIELDS
            .iter()
            .map(|name| ExportField {
                name: (*name).into(),
                export_as: None,
            })
            .collect());
    }
    if fields.len() > MAX_EXPORT_FIELDS {
        return Err(format!(
            "fields: at most {MAX_EXPORT_FIELDS}, not {} (the json format exports whole objects such as `user_metadata`)",
            fields.len()
        ));
    }
    let mut columns = std::collections::HashSet::new();
    for field in &fields {
        for (what, text) in [
            ("name", Some(&field.name)),
            ("export_as", field.export_as.as_ref()),
        ] {
            if let Some(text) = text.filter(|t| t.is_empty() || t.chars().count() > 100) {
                return Err(format!(
                    "fields: `{what}` is 1 to 100 characters, not `{text}`"
                ));
            }
        }
        path(&field.name)?;
        if format == ExportFormat::Json && !columns.insert(field.column()) {
            return Err(format!(
                "fields: the column `{}` is named twice",
                field.column()
            ));
        }
    }
    Ok(fields)
}

/// The value at `steps` in `user`.
fn lookup<'a>(user: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(user, |value, step| match step {
        Step::Key(key) => value.get(key),
        Step::Index(index) => value.get(index),
    })
}

/// A CSV cell: strings escaped (OWASP), numbers and booleans as they are,
/// objects and arrays as their JSON text (escaped), nothing for null.
fn cell(value: Option<&Value>, date: bool, out: &mut Vec<u8>) {
    let text = match value {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) if date => return out.extend_from_slice(s.as_bytes()),
        Some(plain @ (Value::Bool(_) | Value::Number(_))) => {
            return out.extend_from_slice(plain.to_string().as_bytes());
        }
        Some(Value::String(s)) => s.replace('"', "\"\""),
        Some(structured) => structured.to_string().replace('"', "\"\""),
    };
    out.extend_from_slice(b"\"'");
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// Why an export could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the export is over {} MiB compressed: export fewer users (`limit`) or fewer fields",
    MAX_EXPORT_FILE_BYTES >> 20
)]
pub struct ExportTooLarge;

/// The file being written, gzip-compressed.
pub struct ExportWriter {
    format: ExportFormat,
    fields: Vec<(ExportField, Vec<Step>, bool)>,
    file: GzEncoder<Vec<u8>>,
    line: Vec<u8>,
}

impl ExportWriter {
    /// A file of `format` with `fields` (as [`export_fields`] answered them;
    /// none: whole users, for JSON); the CSV header is written.
    pub fn new(format: ExportFormat, fields: &[ExportField]) -> ExportWriter {
        let fields: Vec<_> = fields
            .iter()
            .map(|field| {
                let steps = path(&field.name).unwrap_or_default();
                (field.clone(), steps, DATES.contains(&field.name.as_str()))
            })
            .collect();
        let mut writer = ExportWriter {
            format,
            fields,
            file: GzEncoder::new(Vec::new(), Compression::default()),
            line: Vec::new(),
        };
        if format == ExportFormat::Csv {
            let header: Vec<String> = writer
                .fields
                .iter()
                .map(|(field, ..)| format!("\"{}\"", field.column().replace('"', "\"\"")))
                .collect();
            writer.line = header.join(",").into_bytes();
            writer.line.push(b'\n');
        }
        writer
    }

    /// Writes a user (as the Management API shows it).
    pub fn push(&mut self, user: &Value) -> Result<(), ExportTooLarge> {
        match self.format {
            ExportFormat::Json if self.fields.is_empty() => {
                serde_json::to_writer(&mut self.line, user).unwrap_or_default();
            }
            ExportFormat::Json => {
                let object: Map<String, Value> = self
                    .fields
                    .iter()
                    .filter_map(|(field, steps, _)| {
                        lookup(user, steps).map(|value| (field.column().to_string(), value.clone()))
                    })
                    .collect();
                serde_json::to_writer(&mut self.line, &object).unwrap_or_default();
            }
            ExportFormat::Csv => {
                for (position, (_, steps, date)) in self.fields.iter().enumerate() {
                    if position > 0 {
                        self.line.push(b',');
                    }
                    cell(lookup(user, steps), *date, &mut self.line);
                }
            }
        }
        self.line.push(b'\n');
        self.flush_line()
    }

    fn flush_line(&mut self) -> Result<(), ExportTooLarge> {
        // Writing to a Vec cannot fail.
        let _ = self.file.write_all(&self.line);
        self.line.clear();
        if self.file.get_ref().len() > MAX_EXPORT_FILE_BYTES {
            return Err(ExportTooLarge);
        }
        Ok(())
    }

    /// The compressed file.
    pub fn finish(mut self) -> Result<Vec<u8>, ExportTooLarge> {
        self.flush_line()?;
        let file = self.file.finish().unwrap_or_default();
        if file.len() > MAX_EXPORT_FILE_BYTES {
            return Err(ExportTooLarge);
        }
        Ok(file)
    }
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
