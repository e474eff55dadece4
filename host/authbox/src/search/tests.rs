use serde_json::json;

use super::*;

fn term(q: &str) -> Term {
    match parse(q).unwrap() {
        Query::Term(t) => t,
        other => panic!("{q}: not one term: {other:?}"),
    }
}

fn refused(q: &str) -> String {
    parse(q).expect_err(q).0
}

#[test]
fn text_fields_match_whole_values_lowercased_where_auth0_ignores_case() {
    assert_eq!(
        term(r#"email:"Ada@Example.COM""#),
        Term::Text(TextField::Email, TextMatch::Exact("ada@example.com".into()))
    );
    assert_eq!(
        term("name:Ada*"),
        Term::Text(TextField::Name, TextMatch::Prefix("ada".into()))
    );
    assert_eq!(
        term("username:Ada"),
        Term::Text(TextField::Username, TextMatch::Exact("Ada".into()))
    );
    assert_eq!(
        term(r"user_id:auth0|legacy\|42"),
        Term::Text(
            TextField::UserId,
            TextMatch::Exact("auth0|legacy|42".into())
        )
    );
    assert_eq!(
        term("nickname:*"),
        Term::Text(TextField::Nickname, TextMatch::Exists)
    );
    assert_eq!(
        term(r#"name:"Ada \"the\" Countess""#),
        Term::Text(
            TextField::Name,
            TextMatch::Exact("ada \"the\" countess".into())
        )
    );
    assert_eq!(
        term("identities.connection:Legacy"),
        Term::Connection(TextMatch::Exact("Legacy".into()))
    );
}

#[test]
fn ranges_and_flags() {
    assert_eq!(
        term("logins_count:[2 TO *]"),
        Term::LoginsCount(
            Some(Bound {
                value: 2,
                inclusive: true
            }),
            None
        )
    );
    assert_eq!(
        term("logins_count:{2 TO 10]"),
        Term::LoginsCount(
            Some(Bound {
                value: 2,
                inclusive: false
            }),
            Some(Bound {
                value: 10,
                inclusive: true
            })
        )
    );
    assert_eq!(
        term("logins_count:3"),
        Term::LoginsCount(
            Some(Bound {
                value: 3,
                inclusive: true
            }),
            Some(Bound {
                value: 3,
                inclusive: true
            })
        )
    );
    // A day covers the whole day, at either end.
    assert_eq!(
        term("created_at:[2024-01-31 TO 2024-02-01]"),
        Term::Date(
            DateField::CreatedAt,
            Some(Bound {
                value: "2024-01-31T00:00:00.000Z".into(),
                inclusive: true
            }),
            Some(Bound {
                value: "2024-02-02T00:00:00.000Z".into(),
                inclusive: false
            })
        )
    );
    assert_eq!(
        term("last_login:{2024-01-31 TO 2024-02-01T10:00:00+02:00}"),
        Term::Date(
            DateField::LastLogin,
            Some(Bound {
                value: "2024-02-01T00:00:00.000Z".into(),
                inclusive: true
            }),
            Some(Bound {
                value: "2024-02-01T08:00:00.000Z".into(),
                inclusive: false
            })
        )
    );
    assert_eq!(term("blocked:true"), Term::Flag(FlagField::Blocked, true));
    assert_eq!(
        term("email_verified:\"false\""),
        Term::Flag(FlagField::EmailVerified, false)
    );
}

#[test]
fn metadata_values_may_be_strings_numbers_or_booleans() {
    assert_eq!(
        term("app_metadata.plan:gold"),
        Term::Metadata {
            field: "app_metadata.plan".into(),
            matcher: ValueMatch::Any(vec!["s:gold".into()])
        }
    );
    assert_eq!(
        term("user_metadata.prefs.size:42.0"),
        Term::Metadata {
            field: "user_metadata.prefs.size".into(),
            matcher: ValueMatch::Any(vec!["s:42.0".into(), "n:42".into()])
        }
    );
    assert_eq!(
        term("app_metadata.beta:true"),
        Term::Metadata {
            field: "app_metadata.beta".into(),
            matcher: ValueMatch::Any(vec!["s:true".into(), "b:true".into()])
        }
    );
}

#[test]
fn operators_group_as_lucene_does() {
    let q = parse("email:a@x.io OR (name:ada AND NOT blocked:true) logins_count:1").unwrap();
    let Query::Or(any) = q else { panic!("{q:?}") };
    assert_eq!(any.len(), 3, "{any:?}");
    let Query::And(all) = &any[1] else {
        panic!("{any:?}")
    };
    assert!(matches!(all[1], Query::Not(_)), "{all:?}");
    // AND binds tighter than OR.
    let q = parse("name:a OR name:b AND name:c").unwrap();
    let Query::Or(any) = q else { panic!("{q:?}") };
    assert!(matches!(any[1], Query::And(_)));
}

#[test]
fn what_is_not_supported_is_named() {
    for (q, says) in [
        ("ada", "names no field"),
        ("email:a and name:b", "in capitals"),
        ("name:*ada", "only a `*` at the end"),
        ("name:a*a", "only a `*` at the end"),
        ("name:ad?", "only a `*` at the end"),
        ("name:(a OR b)", "grouped values"),
        (
            "phone_number:+1",
            "searching `phone_number` is not supported",
        ),
        ("email:", "has no value"),
        ("email:\"ada", "no closing"),
        ("logins_count:many", "whole number"),
        ("logins_count:[1 TO]", "not `[from TO to]`"),
        ("created_at:yesterday", "takes dates"),
        ("name:[a TO b]", "ranges on `name`"),
        ("app_metadata.n:[1 TO 2]", "ranges on metadata"),
        ("blocked:maybe", "true or false"),
        ("(email:a", "never closed"),
        ("email:a)", "closes no"),
        ("email:a AND", "ends where a term"),
        ("", "empty"),
        ("app_metadata..x:1", "empty key"),
    ] {
        let message = refused(q);
        assert!(message.contains(says), "{q}: {message}");
    }
    let deep = format!("{}email:a{}", "(".repeat(40), ")".repeat(40));
    assert!(refused(&deep).contains("nests deeper"));
    let many = vec!["email:a"; 60].join(" OR ");
    assert!(refused(&many).contains("terms"));
    assert!(refused(&"x".repeat(5000)).contains("longer than"));
}

#[test]
fn sort_is_field_and_order() {
    assert_eq!(
        "created_at:-1".parse::<Sort>().unwrap(),
        Sort {
            field: SortField::Date(DateField::CreatedAt),
            descending: true
        }
    );
    assert_eq!(
        "email:1".parse::<Sort>().unwrap(),
        Sort {
            field: SortField::Text(TextField::Email),
            descending: false
        }
    );
    assert!("email".parse::<Sort>().unwrap_err().0.contains("field:1"));
    assert!("email:0".parse::<Sort>().unwrap_err().0.contains("neither"));
    assert!(
        "app_metadata.x:1"
            .parse::<Sort>()
            .unwrap_err()
            .0
            .contains("cannot sort")
    );
}

#[test]
fn metadata_terms_leave_out_array_levels_and_keep_types_apart() {
    let app = json!({"plan": "gold", "n": 42.0, "beta": true, "none": null, "empty": [],
                     "long": "x".repeat(MAX_TERM_BYTES + 1)});
    let user = json!({"addresses": [{"city": "Paris"}, {"city": "Lyon"}], "tags": ["a", 1]});
    let terms = metadata_terms(app.as_object().unwrap(), user.as_object().unwrap());
    let shown: Vec<String> = terms
        .iter()
        .map(|t| format!("{}={}", t.field, t.value))
        .collect();
    assert_eq!(
        shown,
        [
            "app_metadata.beta=b:true",
            "app_metadata.n=n:42",
            "app_metadata.plan=s:gold",
            "user_metadata.addresses.city=s:Lyon",
            "user_metadata.addresses.city=s:Paris",
            "user_metadata.tags=n:1",
            "user_metadata.tags=s:a",
        ]
    );
}
