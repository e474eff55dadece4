//! The actions a script implements, the inputs of one call and what it returns.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bindings;

/// One of the seven actions of a custom-database script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Check credentials (required).
    Login,
    /// Look a user up by email (required).
    GetUser,
    /// Create a user.
    Create,
    /// Mark an email as verified.
    Verify,
    /// Store a new password.
    ChangePassword,
    /// Delete a user.
    Delete,
    /// Change a user's email.
    ChangeEmail,
}

impl Action {
    /// Every action, in the order of docs/behaviour.md §1.
    pub const ALL: [Action; 7] = [
        Action::Login,
        Action::GetUser,
        Action::Create,
        Action::Verify,
        Action::ChangePassword,
        Action::Delete,
        Action::ChangeEmail,
    ];

    /// The action's name as the WIT contract and the CLI spell it (`get-user`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::GetUser => "get-user",
            Action::Create => "create",
            Action::Verify => "verify",
            Action::ChangePassword => "change-password",
            Action::Delete => "delete",
            Action::ChangeEmail => "change-email",
        }
    }
}

impl Action {
    /// The action's name in Auth0 (`get_user`): the key of a database
    /// connection's `customScripts` and the file name of its script.
    pub fn auth0_name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::GetUser => "get_user",
            Action::Create => "create",
            Action::Verify => "verify",
            Action::ChangePassword => "change_password",
            Action::Delete => "delete",
            Action::ChangeEmail => "change_email",
        }
    }

    /// The action an Auth0 name stands for.
    pub fn from_auth0_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.auth0_name() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<bindings::Action> for Action {
    fn from(a: bindings::Action) -> Self {
        match a {
            bindings::Action::Login => Action::Login,
            bindings::Action::GetUser => Action::GetUser,
            bindings::Action::Create => Action::Create,
            bindings::Action::Verify => Action::Verify,
            bindings::Action::ChangePassword => Action::ChangePassword,
            bindings::Action::Delete => Action::Delete,
            bindings::Action::ChangeEmail => Action::ChangeEmail,
        }
    }
}

/// A user for the `create` action.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Email address.
    pub email: String,
    /// Password in clear (never logged: `Debug` hides it).
    pub password: String,
    /// Username.
    pub username: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// Initial user metadata.
    pub user_metadata: Option<Map<String, Value>>,
    /// Initial app metadata.
    pub app_metadata: Option<Map<String, Value>>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("username", &self.username)
            .field("phone_number", &self.phone_number)
            .finish_non_exhaustive()
    }
}

/// The inputs of one call. `Debug` never shows a password. As JSON (the
/// server's "try"): `{"action": "login", "username": ..., "password": ...}`.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ActionCall {
    /// `login(username-or-email, password)`.
    Login {
        #[allow(missing_docs)]
        #[serde(alias = "username")]
        username_or_email: String,
        #[allow(missing_docs)]
        password: String,
    },
    /// `get-user(email)`.
    GetUser {
        #[allow(missing_docs)]
        email: String,
    },
    /// `create(user)`.
    Create(NewUser),
    /// `verify(email)`.
    Verify {
        #[allow(missing_docs)]
        email: String,
    },
    /// `change-password(email, new-password)`.
    ChangePassword {
        #[allow(missing_docs)]
        email: String,
        #[allow(missing_docs)]
        new_password: String,
    },
    /// `delete(user-id)`, the id without provider prefix.
    Delete {
        #[allow(missing_docs)]
        user_id: String,
    },
    /// `change-email(email, new-email, verified)`.
    ChangeEmail {
        #[allow(missing_docs)]
        email: String,
        #[allow(missing_docs)]
        new_email: String,
        #[allow(missing_docs)]
        #[serde(default)]
        verified: bool,
    },
}

impl ActionCall {
    /// Which action this calls.
    pub fn action(&self) -> Action {
        match self {
            ActionCall::Login { .. } => Action::Login,
            ActionCall::GetUser { .. } => Action::GetUser,
            ActionCall::Create(_) => Action::Create,
            ActionCall::Verify { .. } => Action::Verify,
            ActionCall::ChangePassword { .. } => Action::ChangePassword,
            ActionCall::Delete { .. } => Action::Delete,
            ActionCall::ChangeEmail { .. } => Action::ChangeEmail,
        }
    }
}

impl fmt::Debug for ActionCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionCall::Login {
                username_or_email, ..
            } => f
                .debug_struct("Login")
                .field("username_or_email", username_or_email)
                .finish_non_exhaustive(),
            ActionCall::GetUser { email } => {
                f.debug_struct("GetUser").field("email", email).finish()
            }
            ActionCall::Create(user) => f.debug_tuple("Create").field(user).finish(),
            ActionCall::Verify { email } => f.debug_struct("Verify").field("email", email).finish(),
            ActionCall::ChangePassword { email, .. } => f
                .debug_struct("ChangePassword")
                .field("email", email)
                .finish_non_exhaustive(),
            ActionCall::Delete { user_id } => {
                f.debug_struct("Delete").field("user_id", user_id).finish()
            }
            ActionCall::ChangeEmail {
                email,
                new_email,
                verified,
            } => f
                .debug_struct("ChangeEmail")
                .field("email", email)
                .field("new_email", new_email)
                .field("verified", verified)
                .finish(),
        }
    }
}

/// What a successful call returned. Profiles are the script's root
/// attributes as JSON, before normalization.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionOutput {
    /// `login`: the user's profile.
    Profile(Map<String, Value>),
    /// `get-user`: the profile, or `None` if the user is unknown.
    MaybeProfile(Option<Map<String, Value>>),
    /// `verify`, `change-password`, `change-email`: `false` = not done.
    Bool(bool),
    /// `create`, `delete`: done.
    Done,
}

/// The WIT profile as a JSON object of root attributes: the further
/// attributes first, then the typed fields over them. Metadata or extra text
/// that is not JSON stays a string, which normalization then refuses.
pub(crate) fn profile_attributes(p: bindings::UserProfile) -> Map<String, Value> {
    let parse = |text: String| serde_json::from_str(&text).unwrap_or(Value::String(text));
    let mut attributes = match p.extra.map(parse) {
        Some(Value::Object(extra)) => extra,
        Some(other) => Map::from_iter([("extra".to_owned(), other)]),
        None => Map::new(),
    };
    let strings = [
        ("email", p.email),
        ("username", p.username),
        ("phone_number", p.phone_number),
        ("name", p.name),
        ("given_name", p.given_name),
        ("family_name", p.family_name),
        ("nickname", p.nickname),
        ("picture", p.picture),
    ];
    for (key, value) in strings {
        if let Some(value) = value {
            attributes.insert(key.into(), Value::String(value));
        }
    }
    for (key, value) in [
        ("email_verified", p.email_verified),
        ("phone_verified", p.phone_verified),
    ] {
        if let Some(value) = value {
            attributes.insert(key.into(), Value::Bool(value));
        }
    }
    for (key, value) in [
        ("user_metadata", p.user_metadata),
        ("app_metadata", p.app_metadata),
    ] {
        if let Some(value) = value {
            attributes.insert(key.into(), parse(value));
        }
    }
    if !p.user_id.is_empty() || !attributes.contains_key("id") {
        attributes.insert("user_id".into(), Value::String(p.user_id));
    }
    attributes
}

pub(crate) fn wit_new_user(user: &NewUser) -> bindings::NewUser {
    let text =
        |m: &Option<Map<String, Value>>| m.as_ref().map(|m| Value::Object(m.clone()).to_string());
    bindings::NewUser {
        email: user.email.clone(),
        password: user.password.clone(),
        username: user.username.clone(),
        phone_number: user.phone_number.clone(),
        user_metadata: text(&user.user_metadata),
        app_metadata: text(&user.app_metadata),
    }
}
