//! The seven actions over a `users` table, shared by the `postgres`, `mysql`
//! and `sqlite` templates. A template gives its database's statements
//! ([`Statements`]); everything else (hash checks, errors, ids, the profile)
//! is here, written once.
//!
//! To point a template at an existing table, change its statements and keep
//! the column names they answer (alias yours: `SELECT user_pk AS id, mail AS
//! email ...`). Every value is a bound parameter: statements are constants.
//!
//! Configuration keys of a connection that runs a template:
//! - `datasource` (default `users`): the data source holding the table;
//! - `id_prefix` (default: the template's name): user ids are
//!   `<id_prefix>|<id>`, unique across the tenant's connections;
//! - `bcrypt_cost` (default 10): the cost of hashes stored by `create` and
//!   `change-password`.

use std::marker::PhantomData;

use authbox_guest::sql::{self, Row, SqlError, Value};
use authbox_guest::{
    ChangeEmail, ChangePassword, Create, CustomDatabase, Delete, Error, NewUser, Profile, Result,
    Verify, config, info, password,
};

/// A template's statements, in its database's SQL and placeholder style.
/// Each lists its parameters in order.
pub struct Statements {
    /// Finds one user by email (case-insensitively) or username.
    /// Parameters: the login, the login again. Columns: `id`, `email`,
    /// `password_hash` and, each possibly NULL, `email_verified`, `username`,
    /// `name`, `given_name`, `family_name`, `nickname`, `picture`,
    /// `phone_number`, `user_metadata`, `app_metadata` (JSON text).
    pub find_user: &'static str,
    /// Adds a user. Parameters: email, username, password hash, phone
    /// number, user_metadata, app_metadata (JSON text); NULL when absent.
    pub insert_user: &'static str,
    /// Marks an email verified. Parameters: email.
    pub verify_email: &'static str,
    /// Stores a new password hash. Parameters: hash, email.
    pub set_password: &'static str,
    /// Deletes a user. Parameters: the id (text: the user id without the
    /// `<id_prefix>|`).
    pub delete_user: &'static str,
    /// Changes an email. Parameters: new email, verified (boolean), old email.
    pub change_email: &'static str,
}

/// A database template: its name (the default id prefix) and statements.
pub trait Template {
    /// The template's name, the default `id_prefix`.
    const NAME: &'static str;
    /// Its statements.
    const STATEMENTS: Statements;
}

/// The script: all seven actions for template `T`.
pub struct SqlUsers<T>(PhantomData<T>);

fn datasource() -> String {
    config::get("datasource").unwrap_or_else(|| "users".into())
}

fn id_prefix<T: Template>() -> String {
    config::get("id_prefix").unwrap_or_else(|| T::NAME.into())
}

fn bcrypt_cost() -> Result<u32> {
    match config::get("bcrypt_cost") {
        None => Ok(password::DEFAULT_BCRYPT_COST),
        Some(cost) => cost
            .parse()
            .map_err(|_| Error::failed(format!("`bcrypt_cost` must be a number, not `{cost}`"))),
    }
}

fn hash(new_password: &str) -> Result<String> {
    Ok(password::hash_with(
        new_password,
        password::Algorithm::Bcrypt(bcrypt_cost()?),
    )?)
}

/// A user row: its id as the host should see it, its hash, its profile.
struct User {
    user_id: String,
    password_hash: String,
    profile: Profile,
}

/// An id column as text, whether the table keys by number or by text.
fn id_text(row: &Row) -> Result<String> {
    match row.get::<Value>("id")? {
        Value::Integer(id) => Ok(id.to_string()),
        Value::Text(id) => Ok(id),
        other => Err(Error::failed(format!(
            "column `id` must be an integer or text, not {other:?}"
        ))),
    }
}

/// A JSON-text column as a JSON value (an object, or nothing when NULL).
fn json_column(row: &Row, column: &str) -> Result<Option<authbox_guest::Value>> {
    match row.get::<Option<String>>(column)? {
        None => Ok(None),
        Some(text) => authbox_guest::serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::failed(format!("column `{column}` is not JSON: {e}"))),
    }
}

fn user<T: Template>(row: &Row) -> Result<User> {
    let user_id = format!("{}|{}", id_prefix::<T>(), id_text(row)?);
    let mut profile = Profile::new(user_id.clone()).email(row.get::<String>("email")?);
    profile.email_verified = row.get("email_verified")?;
    profile.username = row.get("username")?;
    profile.name = row.get("name")?;
    profile.given_name = row.get("given_name")?;
    profile.family_name = row.get("family_name")?;
    profile.nickname = row.get("nickname")?;
    profile.picture = row.get("picture")?;
    profile.phone_number = row.get("phone_number")?;
    if let Some(metadata) = json_column(row, "user_metadata")? {
        profile = profile.user_metadata(metadata);
    }
    if let Some(metadata) = json_column(row, "app_metadata")? {
        profile = profile.app_metadata(metadata);
    }
    Ok(User {
        user_id,
        password_hash: row.get("password_hash")?,
        profile,
    })
}

fn find<T: Template>(login: &str) -> Result<Option<User>> {
    sql::query_first(
        &datasource(),
        T::STATEMENTS.find_user,
        &[login.into(), login.into()],
    )?
    .map(|row| user::<T>(&row))
    .transpose()
}

fn metadata_text(metadata: &Option<authbox_guest::Map<String, authbox_guest::Value>>) -> Value {
    metadata
        .as_ref()
        .map(|m| authbox_guest::Value::Object(m.clone()).to_string())
        .into()
}

impl<T: Template> CustomDatabase for SqlUsers<T> {
    fn login(username_or_email: &str, password: &str) -> Result<Profile> {
        let Some(user) = find::<T>(username_or_email)? else {
            return Err(Error::WrongCredentials {
                user_id: None,
                message: Some("no such user".into()),
            });
        };
        if !password::verify(password, &user.password_hash)? {
            return Err(Error::WrongCredentials {
                user_id: Some(user.user_id),
                message: Some("wrong password".into()),
            });
        }
        info!("{} logged in", user.user_id);
        Ok(user.profile)
    }

    fn get_user(email: &str) -> Result<Option<Profile>> {
        Ok(find::<T>(email)?.map(|user| user.profile))
    }
}

impl<T: Template> Create for SqlUsers<T> {
    fn create(user: NewUser) -> Result<()> {
        let params = [
            user.email.as_str().into(),
            user.username.clone().into(),
            hash(&user.password)?.into(),
            user.phone_number.clone().into(),
            metadata_text(&user.user_metadata),
            metadata_text(&user.app_metadata),
        ];
        match sql::execute(&datasource(), T::STATEMENTS.insert_user, &params) {
            Ok(_) => Ok(()),
            Err(SqlError::UniqueViolation(_)) => Err(Error::UserExists),
            Err(e) => Err(e.into()),
        }
    }
}

impl<T: Template> Verify for SqlUsers<T> {
    fn verify(email: &str) -> Result<bool> {
        Ok(sql::execute(&datasource(), T::STATEMENTS.verify_email, &[email.into()])? > 0)
    }
}

impl<T: Template> ChangePassword for SqlUsers<T> {
    fn change_password(email: &str, new_password: &str) -> Result<bool> {
        let params = [hash(new_password)?.into(), email.into()];
        Ok(sql::execute(&datasource(), T::STATEMENTS.set_password, &params)? > 0)
    }
}

impl<T: Template> Delete for SqlUsers<T> {
    fn delete(user_id: &str) -> Result<()> {
        let prefix = format!("{}|", id_prefix::<T>());
        let id = user_id.strip_prefix(&prefix).ok_or_else(|| {
            Error::failed(format!(
                "user id `{user_id}` is not of this connection (ids start with `{prefix}`)"
            ))
        })?;
        sql::execute(&datasource(), T::STATEMENTS.delete_user, &[id.into()])?;
        Ok(())
    }
}

impl<T: Template> ChangeEmail for SqlUsers<T> {
    fn change_email(email: &str, new_email: &str, verified: bool) -> Result<bool> {
        let params = [new_email.into(), verified.into(), email.into()];
        match sql::execute(&datasource(), T::STATEMENTS.change_email, &params) {
            Ok(changed) => Ok(changed > 0),
            Err(SqlError::UniqueViolation(_)) => Err(Error::failed(format!(
                "another user already has the email {new_email}"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
