//! The users file: each user checked on its own; hashes kept as authbox
//! verifies them (vectors made with Python's hashlib and the bcrypt crate).

use serde_json::{Value, json};

use super::{FieldError, checked, shown, users_of};
use crate::runtime::capabilities::password::{CostLimits, verify};
use crate::runtime::profile::ProfileSource;

/// `hashlib.pbkdf2_hmac('sha256', b'correct horse', b'NaClsaltsalt1234', 1000, 32)`.
const PBKDF2: &str =
    "$pbkdf2-sha256$i=1000,l=32$TmFDbHNhbHRzYWx0MTIzNA$1r95Szp1SItgwY0RuUpR8QPVZi14jq1tSjONmpeJ2Ww";
/// `hashlib.scrypt(b'correct horse', salt=b'legacy-salt', n=1024, r=8, p=1, dklen=32)`.
const SCRYPT_HEX: &str = "7d75d8cab60566c84f13211d8fd694f21d692274d4abb8b66235ff689ccb2f23";

/// `hashlib.sha512(b'legacy-salt' + 'correct horse'.encode('utf-16-le'))`.
const SHA512_UTF16_HEX: &str = "24e852e047d70b77781ef00d55b4cf183d03dd93f93013540410bc2ad5d2905dcbe726e727c6ae475dfbadcd24c77d36a2f3ad6776149892b780ac2325129f6d";
/// `hmac.new(b'pepper', b'correct horse' + b'legacy-salt', 'sha512')`.
const HMAC_SHA512_HEX: &str = "b2a145e08ca2889e8e19470abf1e83d9ccf979c4a4532adcf72a0acc6dc860cb0a96ac5fc777ff616af315569994fec6e891a988425cde3ffbdc73c6174c739e";

fn source() -> ProfileSource {
    ProfileSource {
        connection: "legacy".into(),
        ..ProfileSource::default()
    }
}

fn check(user: Value) -> Result<super::ImportedUser, Vec<FieldError>> {
    checked(&user, &source(), &CostLimits::default())
}

fn codes(user: Value) -> Vec<(String, String)> {
    check(user)
        .unwrap_err()
        .into_iter()
        .map(|e| (e.code, e.path))
        .collect()
}

#[test]
fn every_supported_hash_is_kept_as_one_that_logs_in() {
    let bcrypt = bcrypt::hash("correct horse", 4).unwrap();
    let argon2 = crate::runtime::capabilities::password::hash(
        "correct horse",
        crate::runtime::capabilities::password::Algorithm::Argon2id,
        &CostLimits::default(),
    )
    .unwrap();
    let users = [
        json!({"email": "a@example.com", "password_hash": bcrypt}),
        json!({"email": "b@example.com", "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": bcrypt}}}),
        json!({"email": "c@example.com", "custom_password_hash": {"algorithm": "argon2", "hash": {"value": argon2, "encoding": "utf8"}}}),
        json!({"email": "d@example.com", "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": PBKDF2}}}),
        json!({"email": "e@example.com", "custom_password_hash": {
            "algorithm": "scrypt", "hash": {"value": SCRYPT_HEX, "encoding": "hex"},
            "salt": {"value": "legacy-salt"}, "keylen": 32, "cost": 1024, "blockSize": 8, "parallelization": 1}}),
        // Salted digests, made by hashlib and hmac with the salt `legacy-salt`.
        json!({"email": "f@example.com", "custom_password_hash": {
            "algorithm": "md5", "hash": {"value": "2bdac0ed41f8b16e7bed224cc5d280d5", "encoding": "hex"},
            "salt": {"value": "6c65676163792d73616c74", "encoding": "hex", "position": "prefix"}}}),
        json!({"email": "g@example.com", "custom_password_hash": {
            "algorithm": "sha1", "hash": {"value": "mQAEW0yVB+Flmy07VKwCly2tm5o=", "encoding": "base64"},
            "salt": {"value": "legacy-salt", "position": "suffix"}}}),
        json!({"email": "h@example.com", "custom_password_hash": {
            "algorithm": "sha256", "hash": {"value": "4104D36F8DA2C254349F85836793EBE029E0C957063A34C91C2E9203187B5631", "encoding": "hex"}}}),
        json!({"email": "i@example.com", "custom_password_hash": {
            "algorithm": "sha512", "hash": {"value": SHA512_UTF16_HEX, "encoding": "hex"},
            "salt": {"value": "legacy-salt", "position": "prefix"}, "password": {"encoding": "ucs2"}}}),
        json!({"email": "j@example.com", "custom_password_hash": {
            "algorithm": "hmac", "hash": {"value": HMAC_SHA512_HEX, "encoding": "hex", "digest": "sha512",
                "key": {"value": "pepper"}},
            "salt": {"value": "legacy-salt", "position": "suffix"}}}),
    ];
    for user in users {
        let imported = check(user.clone()).unwrap_or_else(|e| panic!("{user}: {e:?}"));
        let hash = imported.password_hash.unwrap();
        let limits = CostLimits::default();
        assert_eq!(verify("correct horse", &hash, &limits), Ok(true), "{user}");
        assert_eq!(verify("wrong horse", &hash, &limits), Ok(false), "{user}");
    }
}

#[test]
fn a_user_becomes_a_profile_of_the_connection() {
    let user = check(json!({
        "email": "Ada@Example.com", "email_verified": true, "user_id": "42",
        "given_name": "Ada", "family_name": "Lovelace", "blocked": true,
        "app_metadata": {"plan": "gold"}, "user_metadata": {"lang": "en"}
    }))
    .unwrap();
    assert_eq!(user.profile.user_id, "auth0|42");
    assert_eq!(user.profile.email.as_deref(), Some("Ada@Example.com"));
    assert_eq!(user.profile.identities[0].connection, "legacy");
    assert_eq!(user.profile.app_metadata["plan"], json!("gold"));
    assert_eq!(user.blocked, Some(true));
    assert!(user.has_app_metadata && user.has_user_metadata);
    assert!(user.password_hash.is_none());
    // Without an id, each gets a new one.
    let a = check(json!({"email": "x@example.com"})).unwrap();
    let b = check(json!({"email": "x@example.com"})).unwrap();
    assert_ne!(a.profile.user_id, b.profile.user_id);
    assert!(!a.has_app_metadata && a.blocked.is_none());
}

#[test]
fn each_thing_wrong_with_a_user_is_named() {
    let pair = |code: &str, path: &str| (code.to_string(), path.to_string());
    assert_eq!(codes(json!("ada")), [pair("INVALID_TYPE", "")]);
    assert_eq!(
        codes(json!({"name": "Ada", "shoe_size": 7})),
        [
            pair("OBJECT_ADDITIONAL_PROPERTIES", ""),
            pair("ANY_OF_MISSING", "email")
        ]
    );
    assert_eq!(
        codes(json!({"email": "not an email"})),
        [pair("INVALID_FORMAT", "email")]
    );
    assert_eq!(
        codes(json!({"email": "a@example.com", "blocked": "yes"})),
        [pair("INVALID_TYPE", "blocked")]
    );
    assert_eq!(
        codes(json!({"email": "a@example.com", "mfa_factors": [{"totp": {"secret": "x"}}]})),
        [pair("NOT_SUPPORTED", "mfa_factors")]
    );
    assert_eq!(
        codes(
            json!({"email": "a@example.com", "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"})
        ),
        [pair("UNSUPPORTED_HASH", "password_hash")]
    );
    assert_eq!(
        codes(json!({"email": "a@example.com", "custom_password_hash": {
            "algorithm": "ldap", "hash": {"value": "{SSHA}abc"}}})),
        [pair("UNSUPPORTED_HASH", "custom_password_hash.algorithm")],
    );
    // Salted digests: each part that is wrong or missing.
    let md5 = json!({"value": "2bdac0ed41f8b16e7bed224cc5d280d5", "encoding": "hex"});
    for (custom, expected) in [
        (
            json!({"algorithm": "md5", "hash": {"value": "abc", "encoding": "hex"}}),
            pair("INVALID_FORMAT", "custom_password_hash.hash.value"),
        ),
        (
            json!({"algorithm": "sha256", "hash": md5}),
            pair("INVALID_FORMAT", "custom_password_hash.hash.value"),
        ),
        (
            json!({"algorithm": "md5", "hash": md5, "salt": {"value": "s"}}),
            pair("INVALID_FORMAT", "custom_password_hash.salt.position"),
        ),
        (
            json!({"algorithm": "md5", "hash": md5, "password": {"encoding": "ebcdic"}}),
            pair("UNSUPPORTED_HASH", "custom_password_hash.password.encoding"),
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": "00", "encoding": "hex", "digest": "whirlpool", "key": {"value": "k"}}}),
            pair("UNSUPPORTED_HASH", "custom_password_hash.hash.digest"),
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": "00", "encoding": "hex", "digest": "sha1"}}),
            pair("ANY_OF_MISSING", "custom_password_hash.hash.key.value"),
        ),
    ] {
        assert_eq!(
            codes(json!({"email": "a@example.com", "custom_password_hash": custom})),
            [expected],
            "{custom}"
        );
    }
    // A hash asking for more work than a login may spend is refused now,
    // not at its first login.
    let costly = bcrypt::hash("pw", 4).unwrap().replacen("$04$", "$31$", 1);
    assert_eq!(
        codes(json!({"email": "a@example.com", "password_hash": costly})),
        [pair("UNSUPPORTED_HASH", "password_hash")]
    );
    assert_eq!(
        codes(
            json!({"email": "a@example.com", "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-sha1$i=1000$c2FsdHNhbHQ$aGFzaGhhc2g"}}})
        ),
        [pair("UNSUPPORTED_HASH", "custom_password_hash")]
    );
    assert_eq!(
        codes(
            json!({"email": "a@example.com", "custom_password_hash": {"algorithm": "scrypt", "hash": {"value": "zz", "encoding": "hex"}}})
        ),
        [pair("INVALID_FORMAT", "custom_password_hash.hash.value")]
    );
}

#[test]
fn a_file_is_an_array_and_its_errors_never_show_a_hash() {
    assert_eq!(
        users_of(br#"[{"email": "a@example.com"}, 7]"#)
            .unwrap()
            .len(),
        2
    );
    for bad in [&b"{}"[..], b"[", b"", b"not json"] {
        assert!(users_of(bad).is_err());
    }
    let user = json!({"email": "a@example.com", "password_hash": "$2b$10$secret", "custom_password_hash": {"algorithm": "bcrypt"}});
    let shown = shown(&user).to_string();
    assert!(
        !shown.contains("secret") && !shown.contains("bcrypt"),
        "{shown}"
    );
    assert!(shown.contains("a@example.com"));
}
