//! Knows every user and checks no password: `login` and `get-user` answer
//! `echo|<email>` with that email. The benchmarks' script when what is
//! measured is everything around the script (the cache, the store). A
//! password that is a JSON object adds its members to the profile (metadata
//! included): tests make users of any shape with it. Two members are not
//! attributes: `"refuse": "password"` (or `"user"`) answers wrong
//! credentials (with or without the user's id), `"log"` is logged first.
//! Emails at the domain `new.example` are the exception: no one has them
//! yet (a signup's), so `get-user` answers none and `login` wrong
//! credentials.

use authbox_guest::serde_json;
use authbox_guest::{CustomDatabase, Error, Map, Profile, Result, Value};

struct EchoUser;

/// The domain of the emails nobody has yet.
const NOT_SIGNED_UP: &str = "@new.example";

fn profile(email: &str) -> Profile {
    Profile::new(format!("echo|{email}")).email(email)
}

impl CustomDatabase for EchoUser {
    fn login(username_or_email: &str, password: &str) -> Result<Profile> {
        if username_or_email.ends_with(NOT_SIGNED_UP) {
            return Err(Error::wrong_credentials());
        }
        let mut profile = profile(username_or_email);
        let mut shape: Map<String, Value> = serde_json::from_str(password).unwrap_or_default();
        if let Some(Value::String(line)) = shape.remove("log") {
            authbox_guest::info!("{line}");
        }
        match shape.remove("refuse").as_ref().and_then(Value::as_str) {
            Some("password") => {
                return Err(Error::WrongCredentials {
                    user_id: Some(format!("echo|{username_or_email}")),
                    message: Some("wrong password".into()),
                });
            }
            Some(_) => return Err(Error::wrong_credentials()),
            None => {}
        }
        for (key, value) in shape {
            profile = match key.as_str() {
                "user_metadata" => profile.user_metadata(value),
                "app_metadata" => profile.app_metadata(value),
                _ => profile.attribute(key, value),
            };
        }
        Ok(profile)
    }

    fn get_user(email: &str) -> Result<Option<Profile>> {
        Ok((!email.ends_with(NOT_SIGNED_UP)).then(|| profile(email)))
    }
}

authbox_guest::export_script!(EchoUser);
