//! The deployment's secret key: 32 random bytes that seal the connections'
//! configuration and data sources and the tenants' signing keys in the
//! store. Kept as a file of base64 text (what `openssl rand -base64 32`
//! prints); the embedded default generates one, once, beside its database.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{KeyInit as _, OsRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::StoreError;

/// The deployment's secret key. `Debug` shows its [id](SecretKey::id), never
/// the key; the bytes are wiped when it is dropped.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Zeroizing<[u8; 32]>,
    id: String,
}

/// Why a secret key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    /// The text is not the base64 of 32 bytes.
    #[error(
        "a secret key is the base64 text of 32 random bytes: make one with \
         `authbox secret-key generate PATH` (or `openssl rand -base64 32`)"
    )]
    Malformed,
    /// A key file that should be there is not.
    #[error("the secret key file {0} does not exist")]
    Missing(PathBuf),
    /// A new key file was asked for where one is.
    #[error("{0} already exists: it was left as it is")]
    Exists(PathBuf),
    /// A rotation was asked to the key in use.
    #[error("the new secret key is the key in use ({0}): give another")]
    Unchanged(String),
    /// A key file could not be read or written.
    #[error("secret key file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> SecretKey {
        SecretKey::from_bytes(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// The key made of these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        // A name that says which key sealed a value without saying anything
        // of the key: the start of a hash of it, apart from any other use.
        let mut hash = Sha256::new();
        hash.update(b"authbox secret key id\0");
        hash.update(bytes);
        let id = hex::encode(&hash.finalize()[..8]);
        SecretKey {
            bytes: Zeroizing::new(bytes),
            id,
        }
    }

    /// The key whose base64 text (surrounding whitespace aside) is `text`.
    pub fn from_base64(text: &str) -> Result<SecretKey, SecretKeyError> {
        let decoded = Zeroizing::new(
            BASE64
                .decode(text.trim())
                .map_err(|_| SecretKeyError::Malformed)?,
        );
        let bytes =
            <[u8; 32]>::try_from(decoded.as_slice()).map_err(|_| SecretKeyError::Malformed)?;
        Ok(SecretKey::from_bytes(bytes))
    }

    /// The key as base64 text, as a key file holds it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(*self.bytes))
    }

    /// A name of the key, safe to show and log: 16 hex digits of a hash.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The HMAC-SHA256 of `message` under a key derived from this one for
    /// `purpose` (so that a MAC made for one use is no MAC for another).
    pub(super) fn mac(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&*self.bytes)
            .expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// The key in the file at `path`.
    pub fn read_file(path: &Path) -> Result<SecretKey, SecretKeyError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Zeroizing::new(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SecretKeyError::Missing(path.to_owned()));
            }
            Err(e) => return Err(file_error(path, e)),
        };
        SecretKey::from_base64(&text).map_err(|e| file_error(path, e))
    }

    /// A new random key, written into a new file at `path` readable by its
    /// owner only; an existing file is left as it is ([`SecretKeyError::Exists`]).
    pub fn generate_file(path: &Path) -> Result<SecretKey, SecretKeyError> {
        let key = SecretKey::generate();
        // Written whole under a name of its own, then linked to `path`, which
        // fails if a file is there: a process starting at the same time never
        // reads half a key, and never replaces one.
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let unique = uuid::Uuid::new_v4().simple();
        let temporary = path.with_file_name(format!(".{name}.{unique}.tmp"));
        let written =
            write_new(&temporary, &key).and_then(|()| std::fs::hard_link(&temporary, path));
        let _ = std::fs::remove_file(&temporary);
        match written {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(SecretKeyError::Exists(path.to_owned()))
            }
            Err(e) => Err(file_error(path, e)),
        }
    }
}

/// Writes `key` into a new file at `path`, mode 0600.
fn write_new(path: &Path, key: &SecretKey) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(format!("{}\n", key.to_base64().as_str()).as_bytes())?;
    file.sync_all()
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> SecretKeyError {
    SecretKeyError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Where an [`Authbox`](crate::Authbox) gets its secret key.
#[derive(Debug, Clone)]
pub enum SecretKeySource {
    /// This key.
    Key(SecretKey),
    /// The key in this file.
    File(PathBuf),
    /// The key in this file, generated into it the first time: for a SQLite
    /// store only. Processes sharing a PostgreSQL store must share one key,
    /// so such a store refuses this source.
    Generated(PathBuf),
}

impl SecretKeySource {
    /// The key, for the store at `store_url` (it decides whether a key may
    /// be generated).
    pub fn key(&self, store_url: &str) -> Result<SecretKey, StoreError> {
        match self {
            SecretKeySource::Key(key) => Ok(key.clone()),
            SecretKeySource::File(path) => Ok(SecretKey::read_file(path)?),
            SecretKeySource::Generated(_) if !store_url.starts_with("sqlite:") => {
                Err(StoreError::NoSecretKey)
            }
            SecretKeySource::Generated(path) => match SecretKey::read_file(path) {
                Err(SecretKeyError::Missing(_)) => match SecretKey::generate_file(path) {
                    Ok(key) => {
                        tracing::info!(
                            path = %path.display(),
                            key_id = key.id(),
                            "generated the secret key that seals the store's secrets: \
                             keep it with the store (without it they cannot be read)"
                        );
                        Ok(key)
                    }
                    // Another process generated it first.
                    Err(SecretKeyError::Exists(_)) => Ok(SecretKey::read_file(path)?),
                    Err(e) => Err(e.into()),
                },
                read => Ok(read?),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_from_its_base64_and_its_id_is_not_the_key() {
        let key = SecretKey::generate();
        let again = SecretKey::from_base64(&format!(" {}\n", key.to_base64().as_str())).unwrap();
        assert_eq!(again.bytes(), key.bytes());
        assert_eq!(again.id(), key.id());
        assert_eq!(key.id().len(), 16);
        assert_ne!(SecretKey::generate().id(), key.id());
        assert!(!format!("{key:?}").contains(key.to_base64().as_str()));
        for bad in ["", "not base64!", "AAAA", &BASE64.encode([0u8; 31])] {
            assert!(matches!(
                SecretKey::from_base64(bad),
                Err(SecretKeyError::Malformed)
            ));
        }
    }

    #[test]
    fn a_key_file_is_made_once_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        assert!(matches!(
            SecretKey::read_file(&path),
            Err(SecretKeyError::Missing(_))
        ));
        let key = SecretKey::generate_file(&path).unwrap();
        assert_eq!(SecretKey::read_file(&path).unwrap().id(), key.id());
        assert!(matches!(
            SecretKey::generate_file(&path),
            Err(SecretKeyError::Exists(_))
        ));
        assert_eq!(SecretKey::read_file(&path).unwrap().id(), key.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Nothing else is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::write(&path, "short").unwrap();
        assert!(matches!(
            SecretKey::read_file(&path),
            Err(SecretKeyError::File { .. })
        ));
    }

    #[test]
    fn a_generated_key_is_the_same_for_every_opener_and_refused_for_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let source = SecretKeySource::Generated(dir.path().join("secret.key"));
        let first = source.key("sqlite:x.db").unwrap();
        assert_eq!(source.key("sqlite:x.db").unwrap().id(), first.id());
        assert!(matches!(
            source.key("postgres://db/authbox"),
            Err(StoreError::NoSecretKey)
        ));
        let given = SecretKeySource::Key(first.clone());
        assert_eq!(given.key("postgres://db/authbox").unwrap().id(), first.id());
    }

    #[test]
    fn processes_starting_at_once_agree_on_one_generated_key() {
        let dir = tempfile::tempdir().unwrap();
        let source = SecretKeySource::Generated(dir.path().join("secret.key"));
        let ids: Vec<String> = std::thread::scope(|scope| {
            let openers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| source.key("sqlite:x.db").unwrap().id().to_string()))
                .collect();
            openers.into_iter().map(|o| o.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
