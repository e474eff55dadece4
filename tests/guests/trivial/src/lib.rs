//! A well-behaved script: `login` accepts `ok@example.com` / `secret`,
//! `get-user` knows that one user, and `delete` is implemented.
//! It is the "normal call" that must still work after every hostile one.

use authbox_guest::{CustomDatabase, Delete, Error, Profile, Result, info, json};

struct Trivial;

fn ok_user() -> Profile {
    Profile::new("trivial|1")
        .email("ok@example.com")
        .email_verified(true)
        .given_name("Ok")
        .user_metadata(json!({ "plan": "free" }))
}

impl CustomDatabase for Trivial {
    fn login(username_or_email: &str, password: &str) -> Result<Profile> {
        if username_or_email == "ok@example.com" && password == "secret" {
            info!("login ok");
            Ok(ok_user())
        } else {
            Err(Error::wrong_credentials())
        }
    }

    fn get_user(email: &str) -> Result<Option<Profile>> {
        Ok((email == "ok@example.com").then(ok_user))
    }
}

impl Delete for Trivial {
    fn delete(user_id: &str) -> Result<()> {
        if user_id == "1" {
            Ok(())
        } else {
            Err(Error::failed(format!("no user {user_id}")))
        }
    }
}

authbox_guest::export_script!(Trivial);
