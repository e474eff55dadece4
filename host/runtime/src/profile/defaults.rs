//! Defaults for `name`, `nickname` and `picture` when a script leaves them out.

use md5::{Digest, Md5};

use super::NormalizedProfile;

/// `name` = email (or username); `nickname` = the email's local part (or
/// username); `picture` = the Gravatar of the lowercased email.
pub(super) fn fill(profile: &mut NormalizedProfile) {
    let email = profile.email.as_deref();
    let username = profile.username.as_deref();
    if profile.name.is_none() {
        profile.name = email.or(username).map(str::to_owned);
    }
    if profile.nickname.is_none() {
        let local_part = email
            .and_then(|e| e.rsplit_once('@'))
            .map(|(local, _)| local);
        profile.nickname = local_part.or(username).map(str::to_owned);
    }
    if profile.picture.is_none() {
        profile.picture = email.map(gravatar);
    }
}

/// The Gravatar URL of an email: computed, no network needed.
pub(super) fn gravatar(email: &str) -> String {
    let digest = Md5::digest(email.trim().to_lowercase().as_bytes());
    format!(
        "https://s.gravatar.com/avatar/{}?s=480&r=pg&d=identicon",
        hex::encode(digest)
    )
}
