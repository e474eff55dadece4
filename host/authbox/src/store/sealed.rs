//! Values sealed at rest: XChaCha20-Poly1305 under the deployment's
//! [`SecretKey`], with a random nonce per value (24 bytes: random nonces
//! never repeat in practice) and the column and row a value belongs to as
//! associated data, so that a value copied into another row, another
//! tenant's, does not open. Stored as text:
//! `enc:v1:<key id>:<base64 of nonce || ciphertext>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead as _, AeadCore as _, KeyInit as _, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use super::secret_key::SecretKey;
use super::{StoreError, StoreResult};

/// What every sealed value starts with.
const PREFIX: &str = "enc:v1:";

/// The size of a nonce.
const NONCE_BYTES: usize = 24;

/// Where a sealed value lives: bound to its ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place<'a> {
    /// `connections.settings` of a tenant's connection.
    ConnectionSettings {
        /// The tenant.
        tenant_id: &'a str,
        /// The connection.
        connection_id: &'a str,
    },
    /// `signing_keys.private_key` of a tenant.
    SigningKey {
        /// The tenant.
        tenant_id: &'a str,
    },
    /// `secret_key.key_check`: what tells the store's key from another.
    KeyCheck,
}

impl Place<'_> {
    /// The associated data: the column, then the row's ids, apart.
    fn associated_data(&self) -> Vec<u8> {
        let parts: &[&str] = match self {
            Place::ConnectionSettings {
                tenant_id,
                connection_id,
            } => &["connections.settings", tenant_id, connection_id],
            Place::SigningKey { tenant_id } => &["signing_keys.private_key", tenant_id],
            Place::KeyCheck => &["secret_key.key_check"],
        };
        parts.join("\0").into_bytes()
    }
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::ConnectionSettings { connection_id, .. } => {
                write!(f, "the settings of connection `{connection_id}`")
            }
            Place::SigningKey { tenant_id } => write!(f, "the signing key of tenant `{tenant_id}`"),
            Place::KeyCheck => write!(f, "the check value of the secret key"),
        }
    }
}

/// Whether `stored` is a sealed value (of any key), not plain text.
pub(crate) fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// `plaintext` sealed under `key` for `place`.
pub(crate) fn seal(key: &SecretKey, place: Place<'_>, plaintext: &str) -> StoreResult<String> {
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.bytes()));
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let aad = place.associated_data();
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Database(format!("{place} could not be sealed")))?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&ciphertext);
    Ok(format!("{PREFIX}{}:{}", key.id(), BASE64.encode(sealed)))
}

/// The plain text of `stored`, sealed under `key` for `place`; a value that
/// is plain, sealed under another key, changed, or moved from another row
/// is [`StoreError::Unsealable`].
pub(crate) fn unseal(key: &SecretKey, place: Place<'_>, stored: &str) -> StoreResult<String> {
    let unsealable = |reason: String| StoreError::Unsealable {
        what: place.to_string(),
        reason,
    };
    let Some((key_id, body)) = stored
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once(':'))
    else {
        return Err(unsealable(
            "it is stored in plain text, written around authbox: restart authbox to seal it".into(),
        ));
    };
    if key_id != key.id() {
        return Err(unsealable(format!(
            "it was sealed with secret key {key_id}, and this store's key is {}: \
             it was written around authbox",
            key.id()
        )));
    }
    let changed = || {
        unsealable(format!(
            "it does not open with secret key {key_id}: it was changed, or copied from another row"
        ))
    };
    let sealed = BASE64.decode(body).map_err(|_| changed())?;
    if sealed.len() < NONCE_BYTES {
        return Err(changed());
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let aad = place.associated_data();
    let plaintext = XChaCha20Poly1305::new(Key::from_slice(key.bytes()))
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| changed())?;
    String::from_utf8(plaintext).map_err(|_| changed())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: Place<'static> = Place::ConnectionSettings {
        tenant_id: "ten_acme",
        connection_id: "con_1",
    };

    fn reason(result: StoreResult<String>) -> String {
        match result {
            Err(StoreError::Unsealable { reason, .. }) => reason,
            other => panic!("not unsealable: {other:?}"),
        }
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_in_its_place() {
        let key = SecretKey::generate();
        let secret = r#"{"config":{"API_KEY":"s3cret"}}"#;
        let sealed = seal(&key, ACME, secret).unwrap();
        assert!(is_sealed(&sealed));
        assert!(sealed.starts_with(&format!("enc:v1:{}:", key.id())));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(unseal(&key, ACME, &sealed).unwrap(), secret);
        // A random nonce each time: the same value seals differently.
        assert_ne!(seal(&key, ACME, secret).unwrap(), sealed);

        for elsewhere in [
            Place::ConnectionSettings {
                tenant_id: "ten_other",
                connection_id: "con_1",
            },
            Place::ConnectionSettings {
                tenant_id: "ten_acme",
                connection_id: "con_2",
            },
            Place::SigningKey {
                tenant_id: "ten_acme",
            },
        ] {
            assert!(reason(unseal(&key, elsewhere, &sealed)).contains("copied from another row"));
        }
        let other = SecretKey::generate();
        assert!(reason(unseal(&other, ACME, &sealed)).contains(key.id()));
    }

    #[test]
    fn plain_changed_or_cut_values_are_errors_not_panics() {
        let key = SecretKey::generate();
        let sealed = seal(&key, ACME, "secret").unwrap();
        assert!(reason(unseal(&key, ACME, "{}")).contains("plain text"));
        assert!(!is_sealed("{}"));
        let prefix = format!("enc:v1:{}:", key.id());
        let body = sealed.strip_prefix(&prefix).unwrap();
        let mut flipped = BASE64.decode(body).unwrap();
        *flipped.last_mut().unwrap() ^= 1;
        for broken in [
            format!("{prefix}{}", BASE64.encode(&flipped)),
            format!("{prefix}{}", &body[..8]),
            format!("{prefix}not base64!"),
            prefix.clone(),
            "enc:v1:".to_string(),
        ] {
            assert!(unseal(&key, ACME, &broken).is_err(), "{broken}");
        }
    }
}
