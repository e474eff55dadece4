//! The normalized profile: the pure mapping (docs/behaviour.md §2) from what a
//! script's `login` / `get-user` returned to what authbox caches. One function,
//! [`normalize`], used by the CLI, the library and the server alike.

mod defaults;
mod validate;

use serde::Serialize;
use serde_json::{Map, Value};

pub use validate::InvalidProfile;
pub use validate::{email as check_email, length as check_length, metadata_keys};

/// The provider prefix of cached ids unless a deployment sets another.
pub const DEFAULT_PROVIDER: &str = "auth0";

/// The connection name `authbox run` uses unless told otherwise.
pub const DEFAULT_CONNECTION: &str = "custom-db";

/// The largest profile a script may return, serialized as JSON (100 KB).
pub const DEFAULT_MAX_PROFILE_BYTES: usize = 100 * 1000;

/// Attributes authbox maintains itself; a script's values for them are ignored.
pub const HOST_MANAGED: &[&str] = &[
    "created_at",
    "updated_at",
    "last_login",
    "last_ip",
    "logins_count",
    "blocked",
    "identities",
];

/// Where a profile comes from: decides its id prefix and identity.
#[derive(Debug, Clone)]
pub struct ProfileSource {
    /// Provider prefix of the cached `user_id` (`auth0` by default).
    pub provider: String,
    /// The connection's name.
    pub connection: String,
    /// The size cap on a returned profile, in bytes of JSON.
    pub max_profile_bytes: usize,
}

impl Default for ProfileSource {
    fn default() -> Self {
        ProfileSource {
            provider: DEFAULT_PROVIDER.into(),
            connection: DEFAULT_CONNECTION.into(),
            max_profile_bytes: DEFAULT_MAX_PROFILE_BYTES,
        }
    }
}

/// The identity that links a cached user to its connection.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Identity {
    /// The provider (`auth0` by default).
    pub provider: String,
    /// The connection's name.
    pub connection: String,
    /// The id the script returned, without prefix.
    pub user_id: String,
    /// Always `false` for custom-database users.
    #[serde(rename = "isSocial")]
    pub is_social: bool,
}

/// A profile as authbox caches it, before the host-managed attributes
/// (`created_at`, `logins_count`, ...) that the cache adds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizedProfile {
    /// `<provider>|<returned id>`.
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub phone_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub picture: Option<String>,
    /// Seeds the cache on first login only.
    pub user_metadata: Map<String, Value>,
    /// Seeds the cache on first login only.
    pub app_metadata: Map<String, Value>,
    /// The one identity of a custom-database user.
    pub identities: Vec<Identity>,
    /// Every other attribute the script returned, kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A normalized profile and the notes for the call's log (ignored attributes).
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The profile to cache.
    pub profile: NormalizedProfile,
    /// Things the script should know, e.g. "ignored host-managed attribute `blocked`".
    pub notes: Vec<String>,
}

/// Maps what a script returned (a JSON object of root attributes) to the
/// normalized profile, or says which field is invalid. It takes the map by
/// value: the attributes move into the profile instead of being copied.
///
/// ```
/// use authbox_runtime::profile::{ProfileSource, normalize};
/// use serde_json::json;
///
/// let returned = json!({ "user_id": "pg|42", "email": "Ada@Example.com" });
/// let serde_json::Value::Object(returned) = returned else { unreachable!() };
/// let normalized = normalize(returned, &ProfileSource::default()).unwrap();
/// assert_eq!(normalized.profile.user_id, "auth0|pg|42");
/// assert_eq!(normalized.profile.nickname.as_deref(), Some("Ada"));
/// ```
pub fn normalize(
    mut attributes: Map<String, Value>,
    source: &ProfileSource,
) -> Result<Normalized, InvalidProfile> {
    validate::size(&attributes, source.max_profile_bytes)?;
    attributes.retain(|_, value| !value.is_null());
    let mut notes = Vec::new();
    for key in HOST_MANAGED {
        if attributes.remove(*key).is_some() {
            notes.push(format!(
                "ignored host-managed attribute `{key}` returned by the script"
            ));
        }
    }

    let id = validate::user_id(&mut attributes)?;
    let email = validate::take_string(&mut attributes, "email", validate::email)?;
    let username =
        validate::take_string(&mut attributes, "username", |v| validate::length(v, 128))?;
    let mut profile = NormalizedProfile {
        user_id: format!("{}|{id}", source.provider),
        email_verified: validate::take_bool(&mut attributes, "email_verified")?,
        phone_number: validate::take_string(
            &mut attributes,
            "phone_number",
            validate::phone_number,
        )?,
        phone_verified: validate::take_bool(&mut attributes, "phone_verified")?,
        name: validate::take_string(&mut attributes, "name", |v| validate::length(v, 150))?,
        given_name: validate::take_string(&mut attributes, "given_name", |v| {
            validate::length(v, 150)
        })?,
        family_name: validate::take_string(&mut attributes, "family_name", |v| {
            validate::length(v, 150)
        })?,
        nickname: validate::take_string(&mut attributes, "nickname", |v| validate::length(v, 300))?,
        picture: validate::take_string(&mut attributes, "picture", validate::picture)?,
        user_metadata: validate::take_metadata(&mut attributes, "user_metadata", &[])?,
        app_metadata: validate::take_metadata(
            &mut attributes,
            "app_metadata",
            validate::RESERVED_APP_METADATA,
        )?,
        identities: vec![Identity {
            provider: source.provider.clone(),
            connection: source.connection.clone(),
            user_id: id,
            is_social: false,
        }],
        email,
        username,
        extra: attributes,
    };
    defaults::fill(&mut profile);
    Ok(Normalized { profile, notes })
}

#[cfg(test)]
mod tests;
