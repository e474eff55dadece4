//! A script's negative answer: it ran, and said no. The one type every
//! layer carries it in, from the call to the HTTP answer.

/// Why a script (or authbox, for a user it holds) said no.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Unknown user or bad password.
    #[error("wrong credentials{}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    WrongCredentials {
        /// Whom the attempt was for, if known.
        user_id: Option<String>,
        /// The script's reason, for the logs (not for the end user).
        message: Option<String>,
    },
    /// The user may not log in; the message is for the end user.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A signup of a user who exists.
    #[error("user exists")]
    UserExists,
    /// A signup whose data was refused.
    #[error("validation failed ({code}): {message}")]
    Validation {
        /// A code for programs (`invalid_signup`, or the script's own).
        code: String,
        /// What is wrong.
        message: String,
    },
}

impl Refusal {
    /// Wrong credentials for `user_id`, with no message.
    pub fn wrong_credentials(user_id: Option<String>) -> Self {
        Refusal::WrongCredentials {
            user_id,
            message: None,
        }
    }
}
