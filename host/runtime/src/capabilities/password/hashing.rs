//! Verifying and creating password hashes, with a bound on the work a hash
//! may ask for: a script (or a legacy row) cannot make the host spend minutes
//! or gigabytes on one verification.

use argon2::Argon2;
use password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use super::digest::SaltedDigest;

/// The most work a hash may ask for.
#[derive(Debug, Clone, Copy)]
pub struct CostLimits {
    /// Highest bcrypt cost accepted when verifying (each step doubles the work).
    pub bcrypt_verify_cost: u32,
    /// Highest bcrypt cost accepted when hashing.
    pub bcrypt_hash_cost: u32,
    /// Highest argon2 memory, in KiB.
    pub argon2_memory_kib: u32,
    /// Highest argon2 iterations.
    pub argon2_iterations: u32,
    /// Highest pbkdf2 rounds.
    pub pbkdf2_rounds: u32,
    /// Highest scrypt memory (128 · r · 2^ln), in bytes.
    pub scrypt_memory_bytes: u64,
}

impl Default for CostLimits {
    fn default() -> Self {
        CostLimits {
            bcrypt_verify_cost: 15,
            bcrypt_hash_cost: 14,
            argon2_memory_kib: 256 * 1024,
            argon2_iterations: 16,
            pbkdf2_rounds: 5_000_000,
            scrypt_memory_bytes: 256 << 20,
        }
    }
}

/// How hashing or verifying failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Not a supported hash format.
    #[error("unsupported hash: {0}")]
    Unsupported(String),
    /// The hash asks for more work than allowed.
    #[error("too costly: {0}")]
    TooCostly(String),
    /// Anything else.
    #[error("{0}")]
    Failed(String),
}

/// A new hash with one of these algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// bcrypt at this cost.
    Bcrypt(u32),
    /// argon2id with the crate's default (OWASP) parameters.
    Argon2id,
}

/// The scheme of a hash, for messages: `$2b$...` is `2b`. Never the whole hash.
fn scheme(hash: &str) -> &str {
    hash.strip_prefix('$')
        .and_then(|rest| rest.split('$').next())
        .unwrap_or("")
}

/// A hash within the limits, parsed, ready to verify.
enum Admitted<'a> {
    Bcrypt(&'a str),
    Phc(Box<PasswordHash<'a>>),
    Digest(SaltedDigest),
}

/// `hash` parsed, if it is a supported format within `limits`.
fn admitted<'a>(hash: &'a str, limits: &CostLimits) -> Result<Admitted<'a>, HashError> {
    match scheme(hash) {
        "2a" | "2b" | "2y" => admitted_bcrypt(hash, limits),
        "argon2id" | "argon2i" | "pbkdf2-sha256" | "pbkdf2-sha512" | "scrypt" => {
            admitted_phc(hash, limits)
        }
        "digest" => SaltedDigest::parse(hash).map(Admitted::Digest),
        "" => Err(HashError::Unsupported(
            "not a `$scheme$...` hash string".into(),
        )),
        other => Err(HashError::Unsupported(format!(
            "`${other}$` hashes are not supported (bcrypt, argon2id, argon2i, pbkdf2-sha256, pbkdf2-sha512, scrypt and salted digests are)"
        ))),
    }
}

/// Whether `hash` is one authbox can verify within `limits`: a supported
/// format, well-formed, asking for no more work than allowed. Nothing is
/// hashed (an import checks each user's hash so).
pub fn check(hash: &str, limits: &CostLimits) -> Result<(), HashError> {
    admitted(hash, limits).map(|_| ())
}

/// Whether a login should replace `hash` by a new one: a fast digest
/// (see [`SaltedDigest`]), which a stolen copy of the store gives up to
/// anyone with a graphics card.
pub fn needs_rehash(hash: &str) -> bool {
    scheme(hash) == "digest"
}

/// Whether `password` matches `hash` (bcrypt, a PHC string of argon2id,
/// argon2i, pbkdf2-sha256/sha512 or scrypt, or a salted digest).
pub fn verify(password: &str, hash: &str, limits: &CostLimits) -> Result<bool, HashError> {
    let result = match admitted(hash, limits)? {
        Admitted::Digest(digest) => return Ok(digest.matches(password)),
        Admitted::Bcrypt(hash) => {
            return bcrypt::verify(password, hash)
                .map_err(|e| HashError::Unsupported(format!("malformed bcrypt hash: {e}")));
        }
        Admitted::Phc(parsed) => match parsed.algorithm.as_str() {
            "argon2id" | "argon2i" => {
                Argon2::default().verify_password(password.as_bytes(), &parsed)
            }
            "pbkdf2-sha256" | "pbkdf2-sha512" => {
                pbkdf2::Pbkdf2.verify_password(password.as_bytes(), &parsed)
            }
            _ => scrypt::Scrypt.verify_password(password.as_bytes(), &parsed),
        },
    };
    match result {
        Ok(()) => Ok(true),
        Err(password_hash::Error::Password) => Ok(false),
        Err(e) => Err(HashError::Unsupported(format!("{}: {e}", scheme(hash)))),
    }
}

fn admitted_bcrypt<'a>(hash: &'a str, limits: &CostLimits) -> Result<Admitted<'a>, HashError> {
    let malformed = || HashError::Unsupported("malformed bcrypt hash".into());
    let cost: u32 = hash
        .get(4..6)
        .and_then(|c| c.parse().ok())
        .ok_or_else(malformed)?;
    // `$2b$NN$` and 53 characters of salt and hash.
    if hash.len() != 60 || hash.as_bytes()[6] != b'$' {
        return Err(malformed());
    }
    if cost > limits.bcrypt_verify_cost {
        return Err(HashError::TooCostly(format!(
            "bcrypt cost {cost} is over the limit of {}",
            limits.bcrypt_verify_cost
        )));
    }
    Ok(Admitted::Bcrypt(hash))
}

fn param(hash: &PasswordHash<'_>, name: &str) -> Option<u64> {
    hash.params.get_decimal(name).map(u64::from)
}

fn admitted_phc<'a>(hash: &'a str, limits: &CostLimits) -> Result<Admitted<'a>, HashError> {
    let parsed = PasswordHash::new(hash)
        .map_err(|e| HashError::Unsupported(format!("malformed PHC string: {e}")))?;
    let algorithm = parsed.algorithm.as_str();
    let too_costly = |what: String| Err(HashError::TooCostly(format!("{algorithm}: {what}")));
    if parsed.hash.is_none() {
        return Err(HashError::Unsupported(format!(
            "{algorithm}: no hash in the PHC string"
        )));
    }
    match algorithm {
        "argon2id" | "argon2i" => {
            let memory = param(&parsed, "m").unwrap_or(0);
            let iterations = param(&parsed, "t").unwrap_or(0);
            if memory > u64::from(limits.argon2_memory_kib) {
                return too_costly(format!(
                    "memory {memory} KiB is over the limit of {} KiB",
                    limits.argon2_memory_kib
                ));
            }
            if iterations > u64::from(limits.argon2_iterations) {
                return too_costly(format!(
                    "{iterations} iterations is over the limit of {}",
                    limits.argon2_iterations
                ));
            }
        }
        "pbkdf2-sha256" | "pbkdf2-sha512" => {
            let rounds = param(&parsed, "i").unwrap_or(0);
            if rounds > u64::from(limits.pbkdf2_rounds) {
                return too_costly(format!(
                    "{rounds} rounds is over the limit of {}",
                    limits.pbkdf2_rounds
                ));
            }
        }
        _ => {
            let log_n = param(&parsed, "ln").unwrap_or(0);
            let r = param(&parsed, "r").unwrap_or(8);
            let p = param(&parsed, "p").unwrap_or(1);
            let memory = 128u64
                .saturating_mul(r)
                .saturating_mul(1u64.checked_shl(log_n as u32).unwrap_or(u64::MAX));
            if memory > limits.scrypt_memory_bytes || p > 16 {
                return too_costly(format!(
                    "ln={log_n} r={r} p={p} needs more than {} bytes",
                    limits.scrypt_memory_bytes
                ));
            }
        }
    }
    Ok(Admitted::Phc(Box::new(parsed)))
}

/// A new hash of `password`.
pub fn hash(
    password: &str,
    algorithm: Algorithm,
    limits: &CostLimits,
) -> Result<String, HashError> {
    match algorithm {
        Algorithm::Bcrypt(cost) if !(4..=limits.bcrypt_hash_cost).contains(&cost) => {
            Err(HashError::TooCostly(format!("bcrypt cost must be 4 to {}, not {cost}", limits.bcrypt_hash_cost)))
        }
        Algorithm::Bcrypt(cost) => bcrypt::non_truncating_hash(password, cost).map_err(|e| match e {
            bcrypt::BcryptError::Truncation(_) => {
                HashError::Failed("bcrypt only uses the first 72 bytes of a password; use argon2id for longer ones".into())
            }
            other => HashError::Failed(other.to_string()),
        }),
        Algorithm::Argon2id => {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::Failed(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> CostLimits {
        CostLimits::default()
    }

    fn phc(hasher: impl PasswordHasher, password: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        hasher
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    #[test]
    fn verifies_every_bcrypt_prefix() {
        let hash = bcrypt::hash("hunter2", 4).unwrap();
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let variant = format!("{prefix}{}", &hash[4..]);
            assert_eq!(verify("hunter2", &variant, &limits()), Ok(true), "{prefix}");
            assert_eq!(
                verify("hunter3", &variant, &limits()),
                Ok(false),
                "{prefix}"
            );
        }
    }

    #[test]
    fn verifies_phc_strings() {
        let argon2i = Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x13,
            argon2::Params::default(),
        );
        let pbkdf2_512 = |p: &str| {
            let salt = SaltString::generate(&mut OsRng);
            pbkdf2::Pbkdf2
                .hash_password_customized(
                    p.as_bytes(),
                    Some(pbkdf2::Algorithm::Pbkdf2Sha512.ident()),
                    None,
                    pbkdf2::Params {
                        rounds: 1000,
                        output_length: 64,
                    },
                    &salt,
                )
                .unwrap()
                .to_string()
        };
        let scrypt_params = scrypt::Params::new(10, 8, 1, 32).unwrap();
        let scrypt_hash = {
            let salt = SaltString::generate(&mut OsRng);
            scrypt::Scrypt
                .hash_password_customized(b"pw", None, None, scrypt_params, &salt)
                .unwrap()
                .to_string()
        };
        let hashes = [
            phc(Argon2::default(), "pw"),
            phc(argon2i, "pw"),
            phc(pbkdf2::Pbkdf2, "pw"),
            pbkdf2_512("pw"),
            scrypt_hash,
        ];
        for hash in hashes {
            assert_eq!(verify("pw", &hash, &limits()), Ok(true), "{hash}");
            assert_eq!(verify("wrong", &hash, &limits()), Ok(false), "{hash}");
        }
    }

    #[test]
    fn hashes_verify_round_trip() {
        for algorithm in [Algorithm::Bcrypt(4), Algorithm::Argon2id] {
            let hash = hash("s3cret", algorithm, &limits()).unwrap();
            assert!(verify("s3cret", &hash, &limits()).unwrap(), "{algorithm:?}");
        }
        assert!(
            hash("x", Algorithm::Bcrypt(10), &limits())
                .unwrap()
                .starts_with("$2b$10$")
        );
    }

    #[test]
    fn refuses_costly_hashes_without_working() {
        let costly_bcrypt = "$2b$31$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
        assert!(matches!(
            verify("x", costly_bcrypt, &limits()),
            Err(HashError::TooCostly(_))
        ));
        let costly_argon2 =
            "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        assert!(matches!(
            verify("x", costly_argon2, &limits()),
            Err(HashError::TooCostly(_))
        ));
        let costly_pbkdf2 = "$pbkdf2-sha256$i=1000000000,l=32$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs";
        assert!(matches!(
            verify("x", costly_pbkdf2, &limits()),
            Err(HashError::TooCostly(_))
        ));
        let costly_scrypt =
            "$scrypt$ln=30,r=8,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs";
        assert!(matches!(
            verify("x", costly_scrypt, &limits()),
            Err(HashError::TooCostly(_))
        ));
        assert!(matches!(
            hash("x", Algorithm::Bcrypt(20), &limits()),
            Err(HashError::TooCostly(_))
        ));
    }

    #[test]
    fn refuses_unknown_formats_without_echoing_the_hash() {
        for bad in ["plaintext", "$md5$secretsalt$abc", "$2b$xx$junk"] {
            let err = verify("x", bad, &limits()).unwrap_err();
            assert!(matches!(err, HashError::Unsupported(_)), "{bad}: {err}");
            assert!(!err.to_string().contains("secretsalt"));
        }
        assert!(matches!(
            hash(&"x".repeat(73), Algorithm::Bcrypt(4), &limits()),
            Err(HashError::Failed(_))
        ));
    }
}
