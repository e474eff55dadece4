//! Salted digests, as legacy systems stored passwords and Auth0's users
//! files carry them (`custom_password_hash` with md4, md5, sha1, sha256,
//! sha512, or an HMAC of one of these): fast to compute, so weak, and kept
//! only until the user's next login replaces them (import mode rehashes).
//!
//! As a hash string:
//! `$digest$a=<algorithm>,s=<prefix|suffix>,p=<utf8|utf16le|latin1>[,k=<HMAC key, hex>]$<salt, hex>$<digest, hex>`,
//! the algorithm `md4`, `md5`, `sha1`, `sha256`, `sha512` or `hmac-` and
//! one of those; the salt may be empty.

use std::fmt;

use ::digest::Digest;
use hmac::{Mac, SimpleHmac};
use subtle::ConstantTimeEq;

use super::HashError;

/// A digest function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// MD4.
    Md4,
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm of this name (Auth0's names).
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "md4" => DigestAlgorithm::Md4,
            "md5" => DigestAlgorithm::Md5,
            "sha1" => DigestAlgorithm::Sha1,
            "sha256" => DigestAlgorithm::Sha256,
            "sha512" => DigestAlgorithm::Sha512,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md4 => "md4",
            DigestAlgorithm::Md5 => "md5",
            DigestAlgorithm::Sha1 => "sha1",
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }

    /// The length of its digests, in bytes.
    pub fn output_bytes(self) -> usize {
        match self {
            DigestAlgorithm::Md4 | DigestAlgorithm::Md5 => 16,
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha512 => 64,
        }
    }
}

/// Where the salt goes, around the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaltPosition {
    /// Salt, then password.
    Prefix,
    /// Password, then salt.
    Suffix,
}

/// How the password was turned into bytes before it was digested (Node's
/// encodings, as Auth0 names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordEncoding {
    /// UTF-8.
    Utf8,
    /// UTF-16, little-endian (Node's `utf16le`, `ucs2`).
    Utf16Le,
    /// The low byte of each UTF-16 unit (Node's `latin1`, `binary`, `ascii`).
    Latin1,
}

impl PasswordEncoding {
    /// The encoding of this name (Node's names and aliases).
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "utf8" | "utf-8" => PasswordEncoding::Utf8,
            "utf16le" | "utf-16le" | "ucs2" | "ucs-2" => PasswordEncoding::Utf16Le,
            "latin1" | "binary" | "ascii" => PasswordEncoding::Latin1,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            PasswordEncoding::Utf8 => "utf8",
            PasswordEncoding::Utf16Le => "utf16le",
            PasswordEncoding::Latin1 => "latin1",
        }
    }

    fn encode(self, password: &str) -> Vec<u8> {
        match self {
            PasswordEncoding::Utf8 => password.as_bytes().to_vec(),
            PasswordEncoding::Utf16Le => {
                password.encode_utf16().flat_map(u16::to_le_bytes).collect()
            }
            // Node keeps the low byte of each unit, as here.
            PasswordEncoding::Latin1 => password.encode_utf16().map(|unit| unit as u8).collect(),
        }
    }
}

/// A salted digest of a password: what it was made with, and the digest.
#[derive(Clone, PartialEq, Eq)]
pub struct SaltedDigest {
    /// The digest function.
    pub algorithm: DigestAlgorithm,
    /// The key, if the digest is an HMAC.
    pub hmac_key: Option<Vec<u8>>,
    /// The salt (maybe empty).
    pub salt: Vec<u8>,
    /// Where the salt goes.
    pub position: SaltPosition,
    /// How the password was encoded.
    pub encoding: PasswordEncoding,
    /// The digest.
    pub digest: Vec<u8>,
}

impl fmt::Debug for SaltedDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A digest of a password is as good as the password to a cracker.
        f.debug_struct("SaltedDigest")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for SaltedDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hmac = if self.hmac_key.is_some() { "hmac-" } else { "" };
        let position = match self.position {
            SaltPosition::Prefix => "prefix",
            SaltPosition::Suffix => "suffix",
        };
        write!(
            f,
            "$digest$a={hmac}{},s={position},p={}",
            self.algorithm.name(),
            self.encoding.name()
        )?;
        if let Some(key) = &self.hmac_key {
            write!(f, ",k={}", hex::encode(key))?;
        }
        write!(
            f,
            "${}${}",
            hex::encode(&self.salt),
            hex::encode(&self.digest)
        )
    }
}

impl SaltedDigest {
    /// The digest of a `$digest$` hash string.
    pub fn parse(hash: &str) -> Result<Self, HashError> {
        let malformed =
            |what: &str| HashError::Unsupported(format!("malformed digest hash: {what}"));
        let parts: Vec<&str> = hash.split('$').collect();
        let ["", "digest", params, salt, digest] = parts[..] else {
            return Err(malformed("not `$digest$<parameters>$<salt>$<digest>`"));
        };
        let (mut algorithm, mut position, mut encoding, mut hmac_key) = (None, None, None, None);
        for param in params.split(',') {
            let (name, value) = param.split_once('=').ok_or_else(|| malformed(param))?;
            match name {
                "a" => {
                    let (hmac, name) = match value.strip_prefix("hmac-") {
                        Some(name) => (true, name),
                        None => (false, value),
                    };
                    let named = DigestAlgorithm::named(name).ok_or_else(|| {
                        HashError::Unsupported(format!("`{value}` digests are not supported"))
                    })?;
                    algorithm = Some((named, hmac));
                }
                "s" => {
                    position = Some(match value {
                        "prefix" => SaltPosition::Prefix,
                        "suffix" => SaltPosition::Suffix,
                        _ => return Err(malformed("the salt's position")),
                    })
                }
                "p" => encoding = PasswordEncoding::named(value),
                "k" => hmac_key = Some(hex::decode(value).map_err(|_| malformed("the key"))?),
                _ => return Err(malformed(&format!("unknown parameter `{name}`"))),
            }
        }
        let (algorithm, hmac) = algorithm.ok_or_else(|| malformed("no algorithm"))?;
        if hmac != hmac_key.is_some() {
            return Err(malformed("an HMAC has a key, a plain digest none"));
        }
        let parsed = SaltedDigest {
            algorithm,
            hmac_key,
            salt: hex::decode(salt).map_err(|_| malformed("the salt"))?,
            position: position.ok_or_else(|| malformed("no salt position"))?,
            encoding: encoding.ok_or_else(|| malformed("no or an unknown password encoding"))?,
            digest: hex::decode(digest).map_err(|_| malformed("the digest"))?,
        };
        if parsed.digest.len() != algorithm.output_bytes() {
            return Err(malformed(&format!(
                "a {} digest is {} bytes, not {}",
                algorithm.name(),
                algorithm.output_bytes(),
                parsed.digest.len()
            )));
        }
        Ok(parsed)
    }

    /// Whether `password` has this digest (compared in constant time).
    pub fn matches(&self, password: &str) -> bool {
        let password = self.encoding.encode(password);
        let (first, second) = match self.position {
            SaltPosition::Prefix => (self.salt.as_slice(), password.as_slice()),
            SaltPosition::Suffix => (password.as_slice(), self.salt.as_slice()),
        };
        let computed = match self.algorithm {
            DigestAlgorithm::Md4 => self.compute::<md4::Md4>(first, second),
            DigestAlgorithm::Md5 => self.compute::<md5::Md5>(first, second),
            DigestAlgorithm::Sha1 => self.compute::<sha1::Sha1>(first, second),
            DigestAlgorithm::Sha256 => self.compute::<sha2::Sha256>(first, second),
            DigestAlgorithm::Sha512 => self.compute::<sha2::Sha512>(first, second),
        };
        computed.ct_eq(&self.digest).into()
    }

    fn compute<D: Digest + ::digest::core_api::BlockSizeUser + Clone>(
        &self,
        first: &[u8],
        second: &[u8],
    ) -> Vec<u8> {
        match &self.hmac_key {
            Some(key) => {
                let mut mac = <SimpleHmac<D> as Mac>::new_from_slice(key)
                    .expect("an HMAC takes a key of any length");
                mac.update(first);
                mac.update(second);
                mac.finalize().into_bytes().to_vec()
            }
            None => D::new()
                .chain_update(first)
                .chain_update(second)
                .finalize()
                .to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(parameters, salt, digest, password)`: digests made by Python's
    /// `hashlib` and `hmac` (salt `NaCl`, key `pepper`), and RFC 1320's MD4
    /// of `abc`.
    const MADE_ELSEWHERE: &[(&str, &str, &str, &str)] = &[
        (
            "a=md5,s=prefix,p=utf8",
            "4e61436c",
            "3bd632321eb6acc20bb82a78592969cb",
            "hunter2",
        ),
        (
            "a=sha1,s=suffix,p=utf8",
            "4e61436c",
            "03a08420a8ca52a5c16f81530d34b444a9a95091",
            "hunter2",
        ),
        (
            "a=sha256,s=prefix,p=utf8",
            "",
            "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7",
            "hunter2",
        ),
        (
            "a=sha512,s=prefix,p=utf16le",
            "4e61436c",
            "8f0187095cfe9316a860596833a776a9200752a27f4769d8e0f99ed9c3b1ea0f53fa89cc41a333b8d5ce5ffb12b1a6f1e4f5fa279189738d91407c60e1fa2aa9",
            "pässwörd",
        ),
        (
            "a=sha256,s=suffix,p=latin1",
            "4e61436c",
            "4f9ed8ebdb1cb345298623f321be5c75e890868616a454fea0fa933ad438857e",
            "pässwörd",
        ),
        (
            "a=hmac-sha256,s=prefix,p=utf8,k=706570706572",
            "4e61436c",
            "2a9b18d000d43bfbe2fa7eaf5f0318a165e253ce70aaedd9aef3dc47a4a90342",
            "hunter2",
        ),
        (
            "a=md4,s=prefix,p=utf8",
            "",
            "a448017aaf21d8525fc10ae87aa6729d",
            "abc",
        ),
    ];

    #[test]
    fn matches_digests_made_elsewhere_and_nothing_else() {
        for (params, salt, digest, password) in MADE_ELSEWHERE {
            let hash = format!("$digest${params}${salt}${digest}");
            let parsed = SaltedDigest::parse(&hash).unwrap();
            assert!(parsed.matches(password), "{hash}");
            assert!(!parsed.matches("hunter3"), "{hash}");
            assert_eq!(parsed.to_string(), hash, "written as read");
        }
    }

    #[test]
    fn malformed_strings_are_refused_saying_why() {
        let md5 = "3bd632321eb6acc20bb82a78592969cb";
        for (hash, says) in [
            (
                format!("$digest$a=md5,s=prefix,p=utf8$zz${md5}"),
                "the salt",
            ),
            (
                format!("$digest$a=sha1,s=prefix,p=utf8$${md5}"),
                "a sha1 digest is 20 bytes, not 16",
            ),
            (
                format!("$digest$a=whirlpool,s=prefix,p=utf8$${md5}"),
                "`whirlpool` digests",
            ),
            (format!("$digest$a=md5,s=middle,p=utf8$${md5}"), "position"),
            (
                format!("$digest$a=md5,s=prefix,p=ebcdic$${md5}"),
                "password encoding",
            ),
            (
                format!("$digest$a=hmac-md5,s=prefix,p=utf8$${md5}"),
                "has a key",
            ),
            (
                format!("$digest$a=md5,s=prefix,p=utf8,k=00$${md5}"),
                "has a key",
            ),
            (
                format!("$digest$a=md5,s=prefix,p=utf8${md5}"),
                "not `$digest$",
            ),
        ] {
            let error = SaltedDigest::parse(&hash).unwrap_err().to_string();
            assert!(error.contains(says), "{hash}: {error}");
        }
    }
}
