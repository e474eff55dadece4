//! Knows every user and checks no password: `login` and `get-user` answer
//! `echo|<email>` with that email. The benchmarks' script when what is
//! measured is everything around the script (the cache, the store).

use authbox_guest::{CustomDatabase, Profile, Result};

struct EchoUser;

fn profile(email: &str) -> Profile {
    Profile::new(format!("echo|{email}")).email(email)
}

impl CustomDatabase for EchoUser {
    fn login(username_or_email: &str, _password: &str) -> Result<Profile> {
        Ok(profile(username_or_email))
    }

    fn get_user(email: &str) -> Result<Option<Profile>> {
        Ok(Some(profile(email)))
    }
}

authbox_guest::export_script!(EchoUser);
