use crate::bindings::authbox::script::types as wit;

/// The result of a script action.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Every way an action can end other than success.
///
/// `?` turns configuration, password and JSON errors into [`Error::Failed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Unknown user or bad password. `user_id` is a hint of whom the attempt
    /// was for, when known.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let refused = Error::WrongCredentials { user_id: Some("users|42".into()), message: None };
    /// assert_eq!(Error::wrong_credentials(), Error::WrongCredentials { user_id: None, message: None });
    /// ```
    WrongCredentials {
        /// The user's id, if the script knows it.
        user_id: Option<String>,
        /// Why, for the tenant's logs.
        message: Option<String>,
    },
    /// The user may not log in; the message is shown to the end user.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let e = Error::Unauthorized("Your account is suspended.".into());
    /// ```
    Unauthorized(String),
    /// `create`: the user already exists.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let e = Error::UserExists;
    /// ```
    UserExists,
    /// `create`: the input was refused.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let e = Error::Validation { code: "weak_password".into(), message: "too short".into() };
    /// ```
    Validation {
        /// A short machine-readable code.
        code: String,
        /// What was wrong.
        message: String,
    },
    /// The action is not implemented by this script.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let e = Error::NotImplemented;
    /// ```
    NotImplemented,
    /// Anything else went wrong; the message goes to the tenant's logs.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let e = Error::failed("the users table is missing");
    /// ```
    Failed(String),
}

impl Error {
    /// Wrong credentials without a user hint or message.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let e = Error::wrong_credentials();
    /// ```
    pub fn wrong_credentials() -> Self {
        Error::WrongCredentials {
            user_id: None,
            message: None,
        }
    }

    /// A failure with this message.
    ///
    /// ```
    /// # use authbox_guest::Error;
    /// let e = Error::failed(format!("unexpected row count {}", 2));
    /// ```
    pub fn failed(message: impl Into<String>) -> Self {
        Error::Failed(message.into())
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::WrongCredentials {
                message: Some(m), ..
            } => write!(f, "wrong credentials: {m}"),
            Error::WrongCredentials { .. } => f.write_str("wrong credentials"),
            Error::Unauthorized(m) => write!(f, "unauthorized: {m}"),
            Error::UserExists => f.write_str("user exists"),
            Error::Validation { code, message } => write!(f, "validation ({code}): {message}"),
            Error::NotImplemented => f.write_str("not implemented"),
            Error::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Failed(format!("invalid JSON: {e}"))
    }
}

impl From<Error> for wit::ScriptError {
    fn from(e: Error) -> Self {
        match e {
            Error::WrongCredentials { user_id, message } => {
                wit::ScriptError::WrongCredentials(wit::WrongCredentials { user_id, message })
            }
            Error::Unauthorized(m) => wit::ScriptError::Unauthorized(m),
            Error::UserExists => wit::ScriptError::UserExists,
            Error::Validation { code, message } => {
                wit::ScriptError::Validation(wit::ValidationError { code, message })
            }
            Error::NotImplemented => wit::ScriptError::NotImplemented,
            Error::Failed(m) => wit::ScriptError::Failed(m),
        }
    }
}
