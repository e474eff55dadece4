use serde_json::{Value, json};

use super::*;

fn run(returned: Value) -> Result<Normalized, InvalidProfile> {
    normalize(
        returned.as_object().expect("an object").clone(),
        &ProfileSource::default(),
    )
}

fn invalid_field(returned: Value) -> String {
    run(returned).expect_err("must be invalid").field
}

#[test]
fn prefixes_the_id_and_builds_the_identity() {
    let source = ProfileSource {
        provider: "legacy".into(),
        connection: "pg-users".into(),
        ..ProfileSource::default()
    };
    let n = normalize(
        json!({"user_id": "pg|7"}).as_object().unwrap().clone(),
        &source,
    )
    .unwrap();
    assert_eq!(n.profile.user_id, "legacy|pg|7");
    assert_eq!(
        n.profile.identities,
        vec![Identity {
            provider: "legacy".into(),
            connection: "pg-users".into(),
            user_id: "pg|7".into(),
            is_social: false
        }]
    );
    let serialized = serde_json::to_value(&n.profile).unwrap();
    assert_eq!(serialized["identities"][0]["isSocial"], json!(false));
}

#[test]
fn accepts_id_as_an_alias_and_numbers() {
    assert_eq!(
        run(json!({"id": "a1"})).unwrap().profile.user_id,
        "auth0|a1"
    );
    assert_eq!(
        run(json!({"user_id": "", "id": 42}))
            .unwrap()
            .profile
            .user_id,
        "auth0|42"
    );
    assert_eq!(
        run(json!({"user_id": 9})).unwrap().profile.user_id,
        "auth0|9"
    );
}

#[test]
fn missing_or_empty_id_is_invalid() {
    assert_eq!(invalid_field(json!({"email": "a@b.co"})), "user_id");
    assert_eq!(invalid_field(json!({"user_id": ""})), "user_id");
    assert_eq!(invalid_field(json!({"user_id": "  "})), "user_id");
    assert_eq!(invalid_field(json!({"user_id": true})), "user_id");
}

#[test]
fn fills_defaults_from_the_email() {
    let p = run(json!({"user_id": "1", "email": "Ada.L@Example.com"}))
        .unwrap()
        .profile;
    assert_eq!(
        p.email.as_deref(),
        Some("Ada.L@Example.com"),
        "email is kept exactly"
    );
    assert_eq!(p.name.as_deref(), Some("Ada.L@Example.com"));
    assert_eq!(p.nickname.as_deref(), Some("Ada.L"));
    // md5("ada.l@example.com")
    let expected = format!(
        "https://s.gravatar.com/avatar/{}?s=480&r=pg&d=identicon",
        hex::encode(<md5::Md5 as md5::Digest>::digest(b"ada.l@example.com"))
    );
    assert_eq!(p.picture.as_deref(), Some(expected.as_str()));
}

#[test]
fn fills_defaults_from_the_username_without_email() {
    let p = run(json!({"user_id": "1", "username": "ada"}))
        .unwrap()
        .profile;
    assert_eq!(p.name.as_deref(), Some("ada"));
    assert_eq!(p.nickname.as_deref(), Some("ada"));
    assert_eq!(p.picture, None);
}

#[test]
fn keeps_returned_values_over_defaults() {
    let p = run(json!({"user_id": "1", "email": "a@b.co", "name": "A", "nickname": "n", "picture": "https://x.io/p.png"}))
        .unwrap()
        .profile;
    assert_eq!(
        (
            p.name.as_deref(),
            p.nickname.as_deref(),
            p.picture.as_deref()
        ),
        (Some("A"), Some("n"), Some("https://x.io/p.png"))
    );
}

#[test]
fn validates_emails() {
    for bad in [
        "not-an-email",
        "@b.co",
        "a@",
        "a@b",
        "a b@c.co",
        "a@b..co",
        ".a@b.co",
        "a@-b.co",
        "",
    ] {
        assert_eq!(
            invalid_field(json!({"user_id": "1", "email": bad})),
            "email",
            "{bad:?}"
        );
    }
    let long_local = format!("{}@b.co", "a".repeat(65));
    assert_eq!(
        invalid_field(json!({"user_id": "1", "email": long_local})),
        "email"
    );
    let long = format!("a@{}.co", "b".repeat(60).repeat(5));
    assert_eq!(
        invalid_field(json!({"user_id": "1", "email": long})),
        "email"
    );
    for good in ["a@b.co", "first.last+tag@sub.example.org", "ünï@exämple.de"] {
        assert!(
            run(json!({"user_id": "1", "email": good})).is_ok(),
            "{good:?}"
        );
    }
}

#[test]
fn validates_lengths() {
    for (field, max) in [
        ("name", 150),
        ("given_name", 150),
        ("family_name", 150),
        ("nickname", 300),
        ("username", 128),
    ] {
        assert!(
            run(json!({"user_id": "1", field: "é".repeat(max)})).is_ok(),
            "{field} at its max"
        );
        assert_eq!(
            invalid_field(json!({"user_id": "1", field: "é".repeat(max + 1)})),
            field
        );
        assert_eq!(invalid_field(json!({"user_id": "1", field: ""})), field);
        assert_eq!(invalid_field(json!({"user_id": "1", field: 3})), field);
    }
}

#[test]
fn validates_phone_numbers_and_pictures() {
    assert!(run(json!({"user_id": "1", "phone_number": "+14155550100"})).is_ok());
    for bad in ["14155550100", "+", "+1234567890123456", "+1 415", "+1a"] {
        assert_eq!(
            invalid_field(json!({"user_id": "1", "phone_number": bad})),
            "phone_number",
            "{bad:?}"
        );
    }
    for bad in [
        "/relative.png",
        "ftp://x.io/a.png",
        "javascript:alert(1)",
        "https://",
    ] {
        assert_eq!(
            invalid_field(json!({"user_id": "1", "picture": bad})),
            "picture",
            "{bad:?}"
        );
    }
    assert_eq!(
        invalid_field(json!({"user_id": "1", "email_verified": "yes"})),
        "email_verified"
    );
}

#[test]
fn validates_metadata() {
    assert_eq!(
        invalid_field(json!({"user_id": "1", "user_metadata": "[1]"})),
        "user_metadata"
    );
    assert_eq!(
        invalid_field(json!({"user_id": "1", "app_metadata": [1]})),
        "app_metadata"
    );
    assert_eq!(
        invalid_field(json!({"user_id": "1", "user_metadata": {"a.b": 1}})),
        "user_metadata.a.b"
    );
    assert_eq!(
        invalid_field(json!({"user_id": "1", "user_metadata": {"prefs": {"list": [{"$set": 1}]}}})),
        "user_metadata.prefs.list.$set"
    );
    for key in validate::RESERVED_APP_METADATA {
        assert_eq!(
            invalid_field(json!({"user_id": "1", "app_metadata": {*key: 1}})),
            format!("app_metadata.{key}")
        );
    }
    // Reserved keys are only reserved in app_metadata, and only at the top.
    let ok = run(json!({"user_id": "1", "user_metadata": {"email": 1}, "app_metadata": {"plan": {"email": 1}}})).unwrap();
    assert_eq!(ok.profile.user_metadata["email"], json!(1));
}

#[test]
fn ignores_host_managed_attributes_with_a_note() {
    let n = run(json!({"user_id": "1", "blocked": true, "logins_count": 99, "identities": [], "created_at": "x"})).unwrap();
    let serialized = serde_json::to_value(&n.profile).unwrap();
    assert!(serialized.get("blocked").is_none() && serialized.get("logins_count").is_none());
    assert_eq!(serialized["identities"][0]["user_id"], json!("1"));
    assert_eq!(n.notes.len(), 4);
    assert!(n.notes.iter().any(|note| note.contains("`blocked`")));
}

#[test]
fn keeps_unknown_attributes_and_drops_nulls() {
    let n = run(json!({"user_id": "1", "department": {"name": "R&D"}, "email": null})).unwrap();
    assert_eq!(n.profile.extra["department"], json!({"name": "R&D"}));
    assert_eq!(n.profile.email, None);
}

#[test]
fn oversized_profiles_name_the_largest_attribute() {
    let err =
        run(json!({"user_id": "1", "blob": "x".repeat(200_000), "email": "a@b.co"})).unwrap_err();
    assert_eq!(err.field, "blob");
    assert!(err.reason.contains("100000-byte limit"), "{}", err.reason);
    let just_under = run(json!({"user_id": "1", "blob": "x".repeat(99_000)}));
    assert!(just_under.is_ok());
}
