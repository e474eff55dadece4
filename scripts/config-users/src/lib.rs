//! Users held in the connection's configuration: no database needed.
//!
//! Configuration keys:
//! - `users` (required): a JSON list of users, each
//!   `{"id", "email", "password_hash", "username"?, "name"?, "given_name"?,
//!   "family_name"?, "email_verified"?, "user_metadata"?, "app_metadata"?}`;
//!   `password_hash` is a bcrypt (or argon2/pbkdf2/scrypt PHC) hash.
//! - `id_prefix` (optional, default `config-users`): prefixed to every id, so
//!   ids stay unique across a tenant's connections.
//!
//! Implements `login` (by email or username) and `get-user`.

use authbox_guest::{CustomDatabase, Error, Map, Profile, Result, Value, config, info, password};
use serde::Deserialize;

#[derive(Deserialize)]
struct User {
    id: String,
    email: String,
    password_hash: String,
    username: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    #[serde(default)]
    email_verified: bool,
    user_metadata: Option<Map<String, Value>>,
    app_metadata: Option<Map<String, Value>>,
}

impl User {
    fn matches(&self, username_or_email: &str) -> bool {
        self.email == username_or_email || self.username.as_deref() == Some(username_or_email)
    }

    fn profile(self) -> Profile {
        let prefix = config::get("id_prefix").unwrap_or_else(|| "config-users".into());
        Profile {
            user_id: format!("{prefix}|{}", self.id),
            email: Some(self.email),
            email_verified: Some(self.email_verified),
            username: self.username,
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            user_metadata: self.user_metadata,
            app_metadata: self.app_metadata,
            ..Profile::default()
        }
    }
}

fn find(username_or_email: &str) -> Result<Option<User>> {
    let users: Vec<User> = config::json("users")?;
    Ok(users.into_iter().find(|u| u.matches(username_or_email)))
}

struct ConfigUsers;

impl CustomDatabase for ConfigUsers {
    fn login(username_or_email: &str, password: &str) -> Result<Profile> {
        let Some(user) = find(username_or_email)? else {
            return Err(Error::wrong_credentials());
        };
        if !password::verify(password, &user.password_hash)? {
            return Err(Error::WrongCredentials {
                user_id: Some(user.id),
                message: Some("password mismatch".into()),
            });
        }
        info!("user {} logged in", user.id);
        Ok(user.profile())
    }

    fn get_user(email: &str) -> Result<Option<Profile>> {
        Ok(find(email)?.map(User::profile))
    }
}

authbox_guest::export_script!(ConfigUsers);
