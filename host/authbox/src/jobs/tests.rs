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
    for algorithm in ["md5", "sha1", "sha256", "ldap", "hmac", "md4"] {
        assert_eq!(
            codes(json!({"email": "a@example.com", "custom_password_hash": {
                "algorithm": algorithm, "hash": {"value": "abc", "encoding": "hex"}}})),
            [pair("UNSUPPORTED_HASH", "custom_password_hash.algorithm")],
            "{algorithm}"
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
