//! Signups (the Authentication API's `/dbconnections/signup` and the
//! Management API's `POST /users`): through the connection's `create`
//! script, or, in import mode, into authbox alone.

use serde_json::{Map, Value};

use super::events::with_script_calls;
use super::{Authbox, FlowError, LoginContext};
use crate::runtime::{ActionCall, NewUser, Refusal};
use crate::store::{CachedUser, Connection};

/// The profile's root attributes a signup may name beside the user's
/// credentials, as Auth0's signup takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootAttributes {
    /// 1 to 150 characters.
    pub given_name: Option<String>,
    /// 1 to 150 characters.
    pub family_name: Option<String>,
    /// 1 to 150 characters (default: the email).
    pub name: Option<String>,
    /// 1 to 300 characters (default: the email's local part).
    pub nickname: Option<String>,
    /// An absolute http(s) URL (default: the email's Gravatar).
    pub picture: Option<String>,
}

impl RootAttributes {
    /// The attributes given, by name.
    pub fn given(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("name", &self.name),
            ("nickname", &self.nickname),
            ("picture", &self.picture),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key, value.as_deref()?)))
    }

    /// Puts the attributes given into a profile's attributes.
    pub(super) fn put_into(&self, attributes: &mut Map<String, Value>) {
        for (key, value) in self.given() {
            attributes.insert(key.into(), value.into());
        }
    }

    /// Refuses them on a connection whose profiles come from its custom
    /// database: its `create` script is not given them (the script
    /// interface has no place for them), and its `login` answers the
    /// profile authbox caches, so they would be lost. Said, not dropped.
    fn refuse_unless_kept(&self, connection: &Connection) -> Result<(), FlowError> {
        let named: Vec<&str> = self.given().map(|(key, _)| key).collect();
        if named.is_empty() || connection.settings.import_mode {
            return Ok(());
        }
        Err(Refusal::Validation {
            code: "invalid_signup".into(),
            message: format!(
                "{} cannot be set at signup on connection `{}`: its users' profiles come from its \
                 custom database (set them there, for its `login` script to answer them), or turn \
                 import mode on for authbox to keep them",
                named.join(", "),
                connection.name
            ),
        }
        .into())
    }
}

impl Authbox {
    /// Signs a user up through a connection. Import mode off: `get-user`
    /// first (a user the custom database knows is "user exists", `create`
    /// is not called), then `create`, then a `login` to confirm it, which
    /// caches the profile; root attributes are refused (the profile is the
    /// custom database's). On: `get-user`, then the user is created in
    /// authbox only, already migrated, with its root attributes (no login
    /// is counted).
    pub async fn signup(
        &self,
        tenant_id: &str,
        connection_name: &str,
        user: NewUser,
        root: &RootAttributes,
        context: &LoginContext,
    ) -> Result<CachedUser, FlowError> {
        let email = user.email.clone();
        let signup = self.signup_flow(tenant_id, connection_name, user, root, context);
        let (result, calls) = with_script_calls(signup).await;
        self.log_signup(tenant_id, connection_name, &email, context, &result, calls);
        result
    }

    async fn signup_flow(
        &self,
        tenant_id: &str,
        connection_name: &str,
        user: NewUser,
        root: &RootAttributes,
        context: &LoginContext,
    ) -> Result<CachedUser, FlowError> {
        let connection = self
            .inner
            .loaded
            .by_name(self.store(), tenant_id, connection_name)
            .await?;
        root.refuse_unless_kept(&connection)?;
        self.check_signup(tenant_id, &connection.name, context.ip.as_deref())
            .await?;
        if connection.settings.import_mode {
            return self.import_signup(&connection, user, root, context).await;
        }
        // Checked as a profile before any script sees it: what the custom
        // database would store must be what a login can cache.
        self.new_profile(&connection, &user, root)?;
        let lookup = ActionCall::GetUser {
            email: user.email.clone(),
        };
        if self.call_for_profile(&connection, lookup).await?.is_some() {
            return Err(Refusal::UserExists.into());
        }
        let (email, password) = (user.email.clone(), user.password.clone());
        self.call_for_profile(&connection, ActionCall::Create(user))
            .await?;
        self.login(tenant_id, connection_name, &email, &password, context)
            .await
    }
}
