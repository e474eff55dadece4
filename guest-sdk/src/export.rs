//! What [`export_script!`](crate::export_script) expands to: it detects which
//! optional action traits a script implements ("autoref specialization": a
//! method on `Probe<S>` exists only when `S` implements the trait, and method
//! lookup falls back to the always-present one on `&Probe<S>`), so the host
//! learns the exact list from `implemented()`.

use core::marker::PhantomData;

use crate::bindings::authbox::script::types::{self as wit, Action, ScriptError};
use crate::{NewUser, Profile, Result};

pub use crate::bindings::__export_world;
pub use crate::bindings::exports::authbox::script::actions::Guest;
pub use wit::{NewUser as WitNewUser, UserProfile};

/// Stands for a script type during detection; never holds a value.
pub struct Probe<S>(PhantomData<S>);

impl<S> Default for Probe<S> {
    fn default() -> Self {
        Probe(PhantomData)
    }
}

macro_rules! optional_actions {
    ($($trait:ident :: $method:ident ($($arg:ty),*) -> $ret:ty, $found:ident, $missing:ident;)*) => {
        $(
            /// Found when the script implements the trait.
            pub trait $found {
                /// The script's implementation.
                fn $method(&self) -> Option<fn($($arg),*) -> Result<$ret>>;
            }
            impl<S: crate::$trait> $found for Probe<S> {
                fn $method(&self) -> Option<fn($($arg),*) -> Result<$ret>> {
                    Some(S::$method)
                }
            }
            /// The fallback when the script does not implement the trait.
            pub trait $missing {
                /// Always `None`.
                fn $method(&self) -> Option<fn($($arg),*) -> Result<$ret>>;
            }
            impl<S> $missing for &Probe<S> {
                fn $method(&self) -> Option<fn($($arg),*) -> Result<$ret>> {
                    None
                }
            }
        )*

        /// A script's actions, as function pointers.
        pub struct Actions {
            /// `CustomDatabase::login`.
            pub login: fn(&str, &str) -> Result<Profile>,
            /// `CustomDatabase::get_user`.
            pub get_user: fn(&str) -> Result<Option<Profile>>,
            $(
                /// The optional action, if implemented.
                pub $method: Option<fn($($arg),*) -> Result<$ret>>,
            )*
        }
    };
}

optional_actions! {
    Create::create(NewUser) -> (), CreateFound, CreateMissing;
    Verify::verify(&str) -> bool, VerifyFound, VerifyMissing;
    ChangePassword::change_password(&str, &str) -> bool, ChangePasswordFound, ChangePasswordMissing;
    Delete::delete(&str) -> (), DeleteFound, DeleteMissing;
    ChangeEmail::change_email(&str, &str, bool) -> bool, ChangeEmailFound, ChangeEmailMissing;
}

fn not_implemented<T>() -> Result<T, ScriptError> {
    Err(ScriptError::NotImplemented)
}

impl Actions {
    /// `implemented()`: the required actions and the optional ones found.
    pub fn implemented(&self) -> Vec<Action> {
        let optional = [
            (Action::Create, self.create.is_some()),
            (Action::Verify, self.verify.is_some()),
            (Action::ChangePassword, self.change_password.is_some()),
            (Action::Delete, self.delete.is_some()),
            (Action::ChangeEmail, self.change_email.is_some()),
        ];
        let found = optional
            .into_iter()
            .filter(|(_, present)| *present)
            .map(|(a, _)| a);
        [Action::Login, Action::GetUser]
            .into_iter()
            .chain(found)
            .collect()
    }

    /// The `login` export.
    pub fn login(&self, user: String, password: String) -> Result<UserProfile, ScriptError> {
        Ok((self.login)(&user, &password)?.into())
    }

    /// The `get-user` export.
    pub fn get_user(&self, email: String) -> Result<Option<UserProfile>, ScriptError> {
        Ok((self.get_user)(&email)?.map(Into::into))
    }

    /// The `create` export.
    pub fn create(&self, user: WitNewUser) -> Result<(), ScriptError> {
        let Some(create) = self.create else {
            return not_implemented();
        };
        Ok(create(user.try_into()?)?)
    }

    /// The `verify` export.
    pub fn verify(&self, email: String) -> Result<bool, ScriptError> {
        let Some(verify) = self.verify else {
            return not_implemented();
        };
        Ok(verify(&email)?)
    }

    /// The `change-password` export.
    pub fn change_password(
        &self,
        email: String,
        new_password: String,
    ) -> Result<bool, ScriptError> {
        let Some(change) = self.change_password else {
            return not_implemented();
        };
        Ok(change(&email, &new_password)?)
    }

    /// The `delete` export.
    pub fn delete(&self, user_id: String) -> Result<(), ScriptError> {
        let Some(delete) = self.delete else {
            return not_implemented();
        };
        Ok(delete(&user_id)?)
    }

    /// The `change-email` export.
    pub fn change_email(
        &self,
        email: String,
        new_email: String,
        verified: bool,
    ) -> Result<bool, ScriptError> {
        let Some(change) = self.change_email else {
            return not_implemented();
        };
        Ok(change(&email, &new_email, verified)?)
    }
}

/// Exports a script type as the component's actions.
///
/// The type implements [`CustomDatabase`](crate::CustomDatabase) and any of
/// the optional action traits; call this once, at the crate root.
///
/// ```
/// use authbox_guest::{CustomDatabase, Delete, Profile, Result};
///
/// struct Users;
/// impl CustomDatabase for Users {
///     fn login(_: &str, _: &str) -> Result<Profile> { Ok(Profile::new("db|1")) }
///     fn get_user(_: &str) -> Result<Option<Profile>> { Ok(None) }
/// }
/// impl Delete for Users {
///     fn delete(_user_id: &str) -> Result<()> { Ok(()) }
/// }
///
/// // `implemented()` now answers login, get-user and delete.
/// authbox_guest::export_script!(Users);
/// ```
#[macro_export]
macro_rules! export_script {
    ($script:ty) => {
        const _: () = {
            use $crate::__private::{Actions, Probe, UserProfile, WitNewUser};
            use $crate::__private::{
                ChangeEmailFound as _, ChangeEmailMissing as _, ChangePasswordFound as _,
                ChangePasswordMissing as _, CreateFound as _, CreateMissing as _, DeleteFound as _,
                DeleteMissing as _, VerifyFound as _, VerifyMissing as _,
            };
            use $crate::bindings::authbox::script::types::{Action, ScriptError};

            fn actions() -> Actions {
                let probe = &Probe::<$script>::default();
                Actions {
                    login: <$script as $crate::CustomDatabase>::login,
                    get_user: <$script as $crate::CustomDatabase>::get_user,
                    create: probe.create(),
                    verify: probe.verify(),
                    change_password: probe.change_password(),
                    delete: probe.delete(),
                    change_email: probe.change_email(),
                }
            }

            struct Exported;

            impl $crate::__private::Guest for Exported {
                fn implemented() -> Vec<Action> {
                    actions().implemented()
                }
                fn login(user: String, password: String) -> Result<UserProfile, ScriptError> {
                    actions().login(user, password)
                }
                fn get_user(email: String) -> Result<Option<UserProfile>, ScriptError> {
                    actions().get_user(email)
                }
                fn create(user: WitNewUser) -> Result<(), ScriptError> {
                    actions().create(user)
                }
                fn verify(email: String) -> Result<bool, ScriptError> {
                    actions().verify(email)
                }
                fn change_password(
                    email: String,
                    new_password: String,
                ) -> Result<bool, ScriptError> {
                    actions().change_password(email, new_password)
                }
                fn delete(user_id: String) -> Result<(), ScriptError> {
                    actions().delete(user_id)
                }
                fn change_email(
                    email: String,
                    new_email: String,
                    verified: bool,
                ) -> Result<bool, ScriptError> {
                    actions().change_email(email, new_email, verified)
                }
            }

    $crate::__private::__export_world!(Exported with_types_in $crate::bindings);
        };
    };
}
