use crate::{NewUser, Profile, Result};

/// The two actions every custom-database script implements.
///
/// Every call runs in a fresh instance: keep no state between calls.
///
/// ```
/// use authbox_guest::{CustomDatabase, Error, Profile, Result};
///
/// struct Nobody;
///
/// impl CustomDatabase for Nobody {
///     fn login(_user: &str, _password: &str) -> Result<Profile> {
///         Err(Error::wrong_credentials())
///     }
///     fn get_user(_email: &str) -> Result<Option<Profile>> {
///         Ok(None)
///     }
/// }
/// authbox_guest::export_script!(Nobody);
/// ```
pub trait CustomDatabase {
    /// Checks the credentials. Unknown user or bad password:
    /// [`Error::WrongCredentials`](crate::Error::WrongCredentials).
    fn login(username_or_email: &str, password: &str) -> Result<Profile>;

    /// Looks a user up by email (or username); `None` if unknown.
    fn get_user(email: &str) -> Result<Option<Profile>>;
}

/// Creates users (signup). Answer [`Error::UserExists`](crate::Error::UserExists) on a duplicate.
///
/// ```
/// use authbox_guest::{password, Create, Error, NewUser, Result};
/// # struct Users;
/// impl Create for Users {
///     fn create(user: NewUser) -> Result<()> {
///         let _hash = password::hash(&user.password)?;
///         Err(Error::failed("store the user and its hash here"))
///     }
/// }
/// ```
pub trait Create {
    /// Stores the new user.
    fn create(user: NewUser) -> Result<()>;
}

/// Marks an email address as verified.
///
/// ```
/// use authbox_guest::{Verify, Result};
/// # struct Users;
/// impl Verify for Users {
///     fn verify(_email: &str) -> Result<bool> {
///         Ok(false) // no such user
///     }
/// }
/// ```
pub trait Verify {
    /// `Ok(false)` if the user is unknown.
    fn verify(email: &str) -> Result<bool>;
}

/// Stores a new password (password reset).
///
/// ```
/// use authbox_guest::{ChangePassword, Result};
/// # struct Users;
/// impl ChangePassword for Users {
///     fn change_password(_email: &str, _new_password: &str) -> Result<bool> {
///         Ok(false) // no such user
///     }
/// }
/// ```
pub trait ChangePassword {
    /// `Ok(false)` if the user is unknown.
    fn change_password(email: &str, new_password: &str) -> Result<bool>;
}

/// Deletes a user.
///
/// ```
/// use authbox_guest::{Delete, Result};
/// # struct Users;
/// impl Delete for Users {
///     fn delete(_user_id: &str) -> Result<()> {
///         Ok(())
///     }
/// }
/// ```
pub trait Delete {
    /// `user_id` is the id the script returned, without the provider prefix.
    fn delete(user_id: &str) -> Result<()>;
}

/// Changes a user's email address.
///
/// ```
/// use authbox_guest::{ChangeEmail, Result};
/// # struct Users;
/// impl ChangeEmail for Users {
///     fn change_email(_email: &str, _new_email: &str, _verified: bool) -> Result<bool> {
///         Ok(false) // no such user
///     }
/// }
/// ```
pub trait ChangeEmail {
    /// `Ok(false)` if the user is unknown.
    fn change_email(email: &str, new_email: &str, verified: bool) -> Result<bool>;
}
