//! How a call ended, as the script said it through its callback (or an
//! uncaught exception), and its translation into the action's result with
//! Auth0's conventions: `callback(null, profile)`, `callback()` from `login`
//! is wrong credentials and from `get_user` "no such user",
//! `callback(null, true|false)` from `verify` and `change_password`.

use std::cell::RefCell;

use authbox_guest::serde_json::{self, Map, Value};
use authbox_guest::{Error, Profile, Result};

/// What the script handed its callback, as JSON text (`None`: nothing).
pub enum Settled {
    /// `callback(null, value)`.
    Value(Option<String>),
    /// `callback(error)` or an uncaught exception.
    Error(Error),
}

thread_local! {
    static SETTLED: RefCell<Option<Settled>> = const { RefCell::new(None) };
}

/// The native behind a successful callback.
pub fn succeed(json: Option<String>) {
    SETTLED.with(|s| *s.borrow_mut() = Some(Settled::Value(json)));
}

/// The native behind a failed callback: `kind` is one of the prelude's names.
pub fn fail(kind: String, first: Option<String>, second: Option<String>) {
    let error = match kind.as_str() {
        "wrong_credentials" => Error::WrongCredentials {
            user_id: first,
            message: second,
        },
        "validation" if first.as_deref() == Some("user_exists") => Error::UserExists,
        "validation" => Error::Validation {
            code: first.unwrap_or_default(),
            message: second.unwrap_or_default(),
        },
        "unauthorized" => Error::Unauthorized(first.unwrap_or_default()),
        _ => Error::Failed(first.unwrap_or_default()),
    };
    SETTLED.with(|s| *s.borrow_mut() = Some(Settled::Error(error)));
}

/// Whether the callback has been called (or an exception ended the call).
pub fn is_settled() -> bool {
    SETTLED.with(|s| s.borrow().is_some())
}

/// The call's end: what the callback got, or the error of a script that
/// returned without calling it.
pub fn take() -> Result<Option<Value>> {
    match SETTLED.with(|s| s.borrow_mut().take()) {
        None => Err(Error::failed(
            "the script returned without calling callback (and nothing it started is still pending)",
        )),
        Some(Settled::Error(error)) => Err(error),
        Some(Settled::Value(None)) => Ok(None),
        Some(Settled::Value(Some(json))) => {
            let value: Value = serde_json::from_str(&json)?;
            Ok((!value.is_null()).then_some(value))
        }
    }
}

/// `login`: a profile, or wrong credentials when the callback got none.
pub fn login(value: Option<Value>) -> Result<Profile> {
    value.map_or_else(|| Err(Error::wrong_credentials()), profile)
}

/// `get_user`: a profile, or none.
pub fn get_user(value: Option<Value>) -> Result<Option<Profile>> {
    value.map(profile).transpose()
}

/// `verify`, `change_password`, `change_email`: the value's truth, as
/// JavaScript sees it.
pub fn truth(value: Option<Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// A profile from the object the script called back with. The id is
/// `user_id` or `id`, a string or a number; the standard attributes and the
/// two metadata objects are taken by name; anything else is kept as is.
fn profile(value: Value) -> Result<Profile> {
    let Value::Object(mut fields) = value else {
        return Err(Error::failed(format!(
            "the callback's profile must be an object, not {}",
            kind(&value)
        )));
    };
    let id = fields
        .remove("user_id")
        .filter(|v| !v.is_null())
        .or_else(|| fields.remove("id").filter(|v| !v.is_null()));
    let user_id = match id {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(Error::failed(format!(
                "the profile's user_id must be a string or a number, not {}",
                kind(&other)
            )));
        }
        None => {
            return Err(Error::failed(
                "the profile has no user_id (or id): give the user's id in the custom database",
            ));
        }
    };
    let mut profile = Profile::new(user_id);
    profile.email = text(&mut fields, "email")?;
    profile.email_verified = flag(&mut fields, "email_verified")?;
    profile.username = text(&mut fields, "username")?;
    profile.phone_number = text(&mut fields, "phone_number")?;
    profile.phone_verified = flag(&mut fields, "phone_verified")?;
    profile.name = text(&mut fields, "name")?;
    profile.given_name = text(&mut fields, "given_name")?;
    profile.family_name = text(&mut fields, "family_name")?;
    profile.nickname = text(&mut fields, "nickname")?;
    profile.picture = text(&mut fields, "picture")?;
    profile.user_metadata = metadata(&mut fields, "user_metadata")?;
    profile.app_metadata = metadata(&mut fields, "app_metadata")?;
    profile.attributes = fields;
    Ok(profile)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn text(fields: &mut Map<String, Value>, key: &str) -> Result<Option<String>> {
    match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(Error::failed(format!(
            "the profile's {key} must be a string, not {}",
            kind(&other)
        ))),
    }
}

fn flag(fields: &mut Map<String, Value>, key: &str) -> Result<Option<bool>> {
    match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        // MySQL's BOOLEAN is a TINYINT: node's mysql hands scripts 0 and 1.
        Some(Value::Number(n)) if n.as_i64().is_some_and(|i| i == 0 || i == 1) => {
            Ok(Some(n.as_i64() == Some(1)))
        }
        Some(other) => Err(Error::failed(format!(
            "the profile's {key} must be a boolean, not {}",
            kind(&other)
        ))),
    }
}

fn metadata(fields: &mut Map<String, Value>, key: &str) -> Result<Option<Map<String, Value>>> {
    match fields.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(Error::failed(format!(
            "the profile's {key} must be an object, not {}",
            kind(&other)
        ))),
    }
}
