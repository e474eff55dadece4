//! Auth0's users file, as `POST /api/v2/jobs/users-imports` takes it: a
//! JSON array of users, each checked on its own, so that one bad user is
//! an error of that user and not of the file. A user's password comes as
//! `password_hash` (bcrypt) or `custom_password_hash` (bcrypt, argon2,
//! pbkdf2, scrypt, salted md4/md5/sha1/sha256/sha512 digests and HMACs),
//! kept as a hash authbox verifies at login; nothing is hashed on import
//! (a digest is replaced at the user's first login).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::runtime::capabilities::password::{
    CostLimits, DigestAlgorithm, PasswordEncoding, SaltPosition, SaltedDigest, check,
};
use crate::runtime::profile::{NormalizedProfile, ProfileSource, normalize};

/// The attributes a user of the file may have (Auth0's schema).
const ATTRIBUTES: &[&str] = &[
    "email",
    "email_verified",
    "user_id",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "blocked",
    "password_hash",
    "custom_password_hash",
    "app_metadata",
    "user_metadata",
    "mfa_factors",
];

/// What is wrong with one attribute of a user, in Auth0's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// `ANY_OF_MISSING`, `INVALID_TYPE`, `INVALID_FORMAT`,
    /// `OBJECT_ADDITIONAL_PROPERTIES`, `UNSUPPORTED_HASH`,
    /// `DUPLICATED_USER`, `CONFLICT`, `NOT_SUPPORTED`.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// The attribute (`custom_password_hash.algorithm`), or empty.
    pub path: String,
}

impl FieldError {
    /// An error of the attribute at `path`.
    pub fn new(code: &str, path: &str, message: impl Into<String>) -> Self {
        FieldError {
            code: code.into(),
            message: message.into(),
            path: path.into(),
        }
    }
}

/// A user of the file, checked: the profile to cache, and what only an
/// import sets.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    /// The profile, as a login's would be normalized.
    pub profile: NormalizedProfile,
    /// `blocked`, if the file says.
    pub blocked: Option<bool>,
    /// The hash logins are checked against (none: the user must reset).
    pub password_hash: Option<String>,
    /// Whether the file gave `user_metadata` (an upsert keeps it if not).
    pub has_user_metadata: bool,
    /// Whether the file gave `app_metadata`.
    pub has_app_metadata: bool,
}

/// The users of a file, each as its own JSON text; or why the file is
/// not a users file at all.
pub fn users_of(file: &[u8]) -> Result<Vec<&RawValue>, String> {
    serde_json::from_slice(file)
        .map_err(|e| format!("the users file must be a JSON array of user objects: {e}"))
}

/// The user as the errors of a job show it: without its password hash.
pub fn shown(user: &Value) -> Value {
    let mut user = user.clone();
    if let Some(user) = user.as_object_mut() {
        for secret in ["password_hash", "custom_password_hash"] {
            if user.contains_key(secret) {
                user.insert(secret.into(), Value::String("<hidden>".into()));
            }
        }
    }
    user
}

/// Checks one user of the file and makes its profile; its errors, all of
/// them, if it cannot be imported.
pub fn checked(
    user: &Value,
    source: &ProfileSource,
    limits: &CostLimits,
) -> Result<ImportedUser, Vec<FieldError>> {
    let Some(user) = user.as_object() else {
        return Err(vec![FieldError::new(
            "INVALID_TYPE",
            "",
            "a user must be a JSON object",
        )]);
    };
    let mut errors = Vec::new();
    let unknown: Vec<&str> = user
        .keys()
        .map(String::as_str)
        .filter(|k| !ATTRIBUTES.contains(k))
        .collect();
    if !unknown.is_empty() {
        errors.push(FieldError::new(
            "OBJECT_ADDITIONAL_PROPERTIES",
            "",
            format!("Additional properties not allowed: {}", unknown.join(",")),
        ));
    }
    if !user.get("email").is_some_and(Value::is_string) {
        errors.push(FieldError::new(
            "ANY_OF_MISSING",
            "email",
            "a user needs an `email` (a string)",
        ));
    }
    if user.get("mfa_factors").is_some_and(|f| !f.is_null()) {
        errors.push(FieldError::new(
            "NOT_SUPPORTED",
            "mfa_factors",
            "authbox imports no MFA factors",
        ));
    }
    let blocked = match user.get("blocked") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(blocked)) => Some(*blocked),
        Some(_) => {
            errors.push(FieldError::new(
                "INVALID_TYPE",
                "blocked",
                "`blocked` must be a boolean",
            ));
            None
        }
    };
    let password_hash = match password_hash(user, limits) {
        Ok(hash) => hash,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let mut attributes: Map<String, Value> = user
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "blocked" | "password_hash" | "custom_password_hash" | "mfa_factors"
            ) && ATTRIBUTES.contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !attributes.contains_key("user_id") {
        attributes.insert(
            "user_id".into(),
            Value::String(uuid::Uuid::new_v4().simple().to_string()),
        );
    }
    let profile = match normalize(attributes, source) {
        Ok(normalized) => Some(normalized.profile),
        Err(invalid) => {
            errors.push(FieldError::new(
                "INVALID_FORMAT",
                &invalid.field,
                invalid.to_string(),
            ));
            None
        }
    };
    match profile {
        Some(profile) if errors.is_empty() => Ok(ImportedUser {
            profile,
            blocked,
            password_hash,
            has_user_metadata: user.contains_key("user_metadata"),
            has_app_metadata: user.contains_key("app_metadata"),
        }),
        _ => Err(errors),
    }
}

/// The hash the user logs in against, from `password_hash` or
/// `custom_password_hash`, checked to be one authbox verifies within its
/// limits.
fn password_hash(
    user: &Map<String, Value>,
    limits: &CostLimits,
) -> Result<Option<String>, FieldError> {
    let (hash, path) = match (user.get("password_hash"), user.get("custom_password_hash")) {
        (Some(_), Some(_)) => {
            return Err(FieldError::new(
                "INVALID_FORMAT",
                "custom_password_hash",
                "give `password_hash` or `custom_password_hash`, not both",
            ));
        }
        (Some(Value::String(hash)), None) => {
            if !hash.starts_with("$2") {
                return Err(FieldError::new(
                    "UNSUPPORTED_HASH",
                    "password_hash",
                    "`password_hash` takes bcrypt hashes ($2a$, $2b$); use `custom_password_hash` for others",
                ));
            }
            (hash.clone(), "password_hash")
        }
        (Some(_), None) => {
            return Err(FieldError::new(
                "INVALID_TYPE",
                "password_hash",
                "`password_hash` must be a string",
            ));
        }
        (None, Some(custom)) => (custom_hash(custom)?, "custom_password_hash"),
        (None, None) => return Ok(None),
    };
    check(&hash, limits).map_err(|e| FieldError::new("UNSUPPORTED_HASH", path, e.to_string()))?;
    Ok(Some(hash))
}

/// A field of `custom_password_hash`.
fn field<'a>(custom: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(custom, |value, key| value.get(key))
}

fn text_of(custom: &Value, path: &[&str]) -> Result<Option<String>, FieldError> {
    match field(custom, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(FieldError::new(
            "INVALID_TYPE",
            &format!("custom_password_hash.{}", path.join(".")),
            "must be a string",
        )),
    }
}

/// `custom_password_hash.<path>.value` decoded by its `encoding`
/// (`utf8` unless said).
fn bytes_of(custom: &Value, path: &[&str]) -> Result<Option<Vec<u8>>, FieldError> {
    let at = |last: &'static str| [path, &[last]].concat();
    let Some(value) = text_of(custom, &at("value"))? else {
        return Ok(None);
    };
    let encoding = text_of(custom, &at("encoding"))?.unwrap_or_else(|| "utf8".into());
    let named = path.join(".");
    let bad = |what: &str| {
        FieldError::new(
            "INVALID_FORMAT",
            &format!("custom_password_hash.{named}.value"),
            format!("not {what}"),
        )
    };
    let bytes = match encoding.as_str() {
        "utf8" => value.into_bytes(),
        "hex" => hex::decode(&value).map_err(|_| bad("hex"))?,
        "base64" => STANDARD
            .decode(value.trim_end_matches('='))
            .or_else(|_| STANDARD_NO_PAD.decode(value.trim_end_matches('=')))
            .map_err(|_| bad("base64"))?,
        other => {
            return Err(FieldError::new(
                "INVALID_FORMAT",
                &format!("custom_password_hash.{named}.encoding"),
                format!("`{other}` is not an encoding (base64, hex, utf8)"),
            ));
        }
    };
    Ok(Some(bytes))
}

/// A salted digest (`md4`... `sha512`, or `hmac` with `hash.digest` and
/// `hash.key`), as Auth0 describes one: the salt before or after the
/// password (`salt.position`), the password in `password.encoding`.
fn digest_hash(custom: &Value, algorithm: &str, hash: Vec<u8>) -> Result<String, FieldError> {
    let unsupported = |path: &str, message: String| {
        FieldError::new(
            "UNSUPPORTED_HASH",
            &format!("custom_password_hash.{path}"),
            message,
        )
    };
    let (name, hmac_key) = match algorithm {
        "hmac" => {
            let digest = text_of(custom, &["hash", "digest"])?.unwrap_or_default();
            let key = bytes_of(custom, &["hash", "key"])?.ok_or_else(|| {
                FieldError::new(
                    "ANY_OF_MISSING",
                    "custom_password_hash.hash.key.value",
                    "an `hmac` hash needs `hash.key`",
                )
            })?;
            (digest, Some(key))
        }
        plain => (plain.to_string(), None),
    };
    let algorithm = DigestAlgorithm::named(&name).ok_or_else(|| {
        unsupported(
            "hash.digest",
            format!("`{name}` HMACs are not supported (md4, md5, sha1, sha256 and sha512 are)"),
        )
    })?;
    let salt = bytes_of(custom, &["salt"])?.unwrap_or_default();
    let position = match text_of(custom, &["salt", "position"])?.as_deref() {
        Some("prefix") => SaltPosition::Prefix,
        Some("suffix") => SaltPosition::Suffix,
        None if salt.is_empty() => SaltPosition::Prefix,
        _ => {
            return Err(FieldError::new(
                "INVALID_FORMAT",
                "custom_password_hash.salt.position",
                "a salt's `position` is `prefix` or `suffix`",
            ));
        }
    };
    let encoding = text_of(custom, &["password", "encoding"])?.unwrap_or_else(|| "utf8".into());
    let encoding = PasswordEncoding::named(&encoding).ok_or_else(|| {
        unsupported(
            "password.encoding",
            format!("`{encoding}` passwords are not supported (utf8, utf16le, ucs2, latin1, binary and ascii are)"),
        )
    })?;
    if hash.len() != algorithm.output_bytes() {
        return Err(FieldError::new(
            "INVALID_FORMAT",
            "custom_password_hash.hash.value",
            format!(
                "a {} digest is {} bytes, not {} (is `hash.encoding` right?)",
                algorithm.name(),
                algorithm.output_bytes(),
                hash.len()
            ),
        ));
    }
    let digest = SaltedDigest {
        algorithm,
        hmac_key,
        salt,
        position,
        encoding,
        digest: hash,
    };
    Ok(digest.to_string())
}

/// `custom_password_hash` as a hash string authbox verifies: bcrypt and
/// the PHC strings of argon2 and pbkdf2 as they are; scrypt's parameters
/// into a PHC string.
fn custom_hash(custom: &Value) -> Result<String, FieldError> {
    let algorithm = text_of(custom, &["algorithm"])?.ok_or_else(|| {
        FieldError::new(
            "ANY_OF_MISSING",
            "custom_password_hash.algorithm",
            "`custom_password_hash` needs an `algorithm`",
        )
    })?;
    let missing = || {
        FieldError::new(
            "ANY_OF_MISSING",
            "custom_password_hash.hash.value",
            "`custom_password_hash` needs `hash.value`",
        )
    };
    match algorithm.as_str() {
        "bcrypt" | "argon2" | "pbkdf2" => {
            let value = bytes_of(custom, &["hash"])?.ok_or_else(missing)?;
            String::from_utf8(value).map_err(|_| {
                FieldError::new(
                    "INVALID_FORMAT",
                    "custom_password_hash.hash.value",
                    format!("a {algorithm} hash is a text (a PHC string for argon2 and pbkdf2)"),
                )
            })
        }
        "scrypt" => {
            let hash = bytes_of(custom, &["hash"])?.ok_or_else(missing)?;
            let salt = bytes_of(custom, &["salt"])?.unwrap_or_default();
            let number = |key: &str, default: u64| match custom.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(value) => value.as_u64().ok_or_else(|| {
                    FieldError::new(
                        "INVALID_TYPE",
                        &format!("custom_password_hash.{key}"),
                        "must be a positive integer",
                    )
                }),
            };
            let cost = number("cost", 16384)?;
            if !cost.is_power_of_two() || cost < 2 {
                return Err(FieldError::new(
                    "INVALID_FORMAT",
                    "custom_password_hash.cost",
                    "scrypt's cost (N) must be a power of two",
                ));
            }
            let (r, p) = (number("blockSize", 8)?, number("parallelization", 1)?);
            Ok(format!(
                "$scrypt$ln={},r={r},p={p}${}${}",
                cost.trailing_zeros(),
                STANDARD_NO_PAD.encode(salt),
                STANDARD_NO_PAD.encode(hash)
            ))
        }
        "md4" | "md5" | "sha1" | "sha256" | "sha512" | "hmac" => {
            let hash = bytes_of(custom, &["hash"])?.ok_or_else(missing)?;
            digest_hash(custom, &algorithm, hash)
        }
        other => Err(FieldError::new(
            "UNSUPPORTED_HASH",
            "custom_password_hash.algorithm",
            format!(
                "`{other}` hashes are not supported (bcrypt, argon2, pbkdf2 with sha256 or sha512, scrypt, md4, md5, sha1, sha256, sha512 and hmac are)"
            ),
        )),
    }
}
