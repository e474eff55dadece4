//! `login` checks the password against the configuration's `hash` with
//! bcrypt compiled into the guest, not the host's `password` capability: the
//! baseline the benchmarks compare host hashing with.

use authbox_guest::{CustomDatabase, Error, Profile, Result, config};

struct GuestBcrypt;

impl CustomDatabase for GuestBcrypt {
    fn login(username_or_email: &str, password: &str) -> Result<Profile> {
        let hash = config::require("hash")?;
        match bcrypt::verify(password, &hash) {
            Ok(true) => Ok(Profile::new("bcrypt|1").email(username_or_email)),
            Ok(false) => Err(Error::wrong_credentials()),
            Err(e) => Err(Error::failed(format!("bcrypt: {e}"))),
        }
    }

    fn get_user(_email: &str) -> Result<Option<Profile>> {
        Ok(None)
    }
}

authbox_guest::export_script!(GuestBcrypt);
