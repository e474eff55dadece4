use serde_json::{Map, Value};

use crate::bindings::authbox::script::types as wit;

/// A user as the custom database knows it.
///
/// authbox normalizes it before caching: the id is prefixed with the
/// provider, `name`/`nickname`/`picture` get defaults, and every field is
/// validated (an invalid profile fails the call, naming the field).
///
/// ```
/// use authbox_guest::{json, Profile};
///
/// let profile = Profile::new("pg|42")
///     .email("ada@example.com")
///     .email_verified(true)
///     .name("Ada Lovelace")
///     .user_metadata(json!({ "theme": "dark" }))
///     .attribute("department", json!("engineering"));
/// assert_eq!(profile.user_id, "pg|42");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// Stable id, unique across the tenant's connections (prefix it with the
    /// connection's name).
    pub user_id: String,
    /// Email address, kept exactly as given.
    pub email: Option<String>,
    /// Whether the email address is verified.
    pub email_verified: Option<bool>,
    /// Username.
    pub username: Option<String>,
    /// Phone number in E.164 form (`+` and digits).
    pub phone_number: Option<String>,
    /// Whether the phone number is verified.
    pub phone_verified: Option<bool>,
    /// Full name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Nickname.
    pub nickname: Option<String>,
    /// Absolute http(s) URL of a picture.
    pub picture: Option<String>,
    /// Metadata the user may edit; seeds the cache at first login only.
    pub user_metadata: Option<Map<String, Value>>,
    /// Metadata the user may not edit; seeds the cache at first login only.
    pub app_metadata: Option<Map<String, Value>>,
    /// Any further attributes, cached as they are.
    pub attributes: Map<String, Value>,
}

macro_rules! setters {
    ($($field:ident: $ty:ty = $example:literal),* $(,)?) => {
        $(
            #[doc = concat!("Sets `", stringify!($field), "`.")]
            ///
            /// ```
            /// # use authbox_guest::Profile;
            #[doc = concat!("let p = Profile::new(\"db|1\").", stringify!($field), "(", stringify!($example), ");")]
            #[doc = concat!("assert_eq!(p.", stringify!($field), ", Some(", stringify!($example), ".into()));")]
            /// ```
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$field = Some(value.into());
                self
            }
        )*
    };
}

impl Profile {
    /// A profile with only its id set.
    ///
    /// ```
    /// # use authbox_guest::Profile;
    /// let p = Profile::new("sqlite|7");
    /// ```
    pub fn new(user_id: impl Into<String>) -> Self {
        Profile {
            user_id: user_id.into(),
            ..Profile::default()
        }
    }

    setters! {
        email: String = "ada@example.com",
        email_verified: bool = true,
        username: String = "ada",
        phone_number: String = "+14155550100",
        phone_verified: bool = false,
        name: String = "Ada Lovelace",
        given_name: String = "Ada",
        family_name: String = "Lovelace",
        nickname: String = "countess",
        picture: String = "https://example.com/ada.png",
    }

    /// Sets `user_metadata`; anything but a JSON object is dropped.
    ///
    /// ```
    /// # use authbox_guest::{json, Profile};
    /// let p = Profile::new("db|1").user_metadata(json!({ "lang": "fr" }));
    /// ```
    pub fn user_metadata(mut self, value: Value) -> Self {
        self.user_metadata = into_object(value);
        self
    }

    /// Sets `app_metadata`; anything but a JSON object is dropped.
    ///
    /// ```
    /// # use authbox_guest::{json, Profile};
    /// let p = Profile::new("db|1").app_metadata(json!({ "plan": "pro" }));
    /// ```
    pub fn app_metadata(mut self, value: Value) -> Self {
        self.app_metadata = into_object(value);
        self
    }

    /// Adds a further attribute, cached as it is.
    ///
    /// ```
    /// # use authbox_guest::{json, Profile};
    /// let p = Profile::new("db|1").attribute("locale", json!("fr-FR"));
    /// ```
    pub fn attribute(mut self, key: impl Into<String>, value: Value) -> Self {
        self.attributes.insert(key.into(), value);
        self
    }
}

fn into_object(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn object_text(map: Option<Map<String, Value>>) -> Option<String> {
    map.map(|m| Value::Object(m).to_string())
}

impl From<Profile> for wit::UserProfile {
    fn from(p: Profile) -> Self {
        wit::UserProfile {
            user_id: p.user_id,
            email: p.email,
            email_verified: p.email_verified,
            username: p.username,
            phone_number: p.phone_number,
            phone_verified: p.phone_verified,
            name: p.name,
            given_name: p.given_name,
            family_name: p.family_name,
            nickname: p.nickname,
            picture: p.picture,
            user_metadata: object_text(p.user_metadata),
            app_metadata: object_text(p.app_metadata),
            extra: (!p.attributes.is_empty()).then(|| Value::Object(p.attributes).to_string()),
        }
    }
}

/// A user to create in the custom database (the `create` action).
///
/// ```
/// # use authbox_guest::NewUser;
/// let user = NewUser { email: "ada@example.com".into(), password: "hunter2".into(), ..NewUser::default() };
/// assert!(!format!("{user:?}").contains("hunter2"));
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct NewUser {
    /// Email address.
    pub email: String,
    /// The password in clear; store only a hash of it (see [`crate::password::hash`]).
    pub password: String,
    /// Username, when the connection uses usernames.
    pub username: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// Initial user metadata.
    pub user_metadata: Option<Map<String, Value>>,
    /// Initial app metadata.
    pub app_metadata: Option<Map<String, Value>>,
}

/// Never shows the password, so logging a `NewUser` cannot leak it.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("username", &self.username)
            .field("phone_number", &self.phone_number)
            .finish_non_exhaustive()
    }
}

impl TryFrom<wit::NewUser> for NewUser {
    type Error = crate::Error;

    fn try_from(u: wit::NewUser) -> crate::Result<Self> {
        let object = |text: Option<String>| -> crate::Result<Option<Map<String, Value>>> {
            text.map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(Into::into)
        };
        Ok(NewUser {
            email: u.email,
            password: u.password,
            username: u.username,
            phone_number: u.phone_number,
            user_metadata: object(u.user_metadata)?,
            app_metadata: object(u.app_metadata)?,
        })
    }
}
