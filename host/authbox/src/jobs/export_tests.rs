//! An export's fields, checked, and its file: CSV escaped against formula
//! injection as Auth0 escapes it, NDJSON with the fields asked for, gzip.

use std::io::Read as _;

use serde_json::{Value, json};

use super::{ExportField, ExportFormat, ExportWriter, export_fields};

fn field(name: &str, export_as: Option<&str>) -> ExportField {
    ExportField {
        name: name.into(),
        export_as: export_as.map(str::to_string),
    }
}

fn written(format: ExportFormat, fields: &[ExportField], users: &[Value]) -> String {
    let mut writer = ExportWriter::new(format, fields);
    for user in users {
        writer.push(user).unwrap();
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(writer.finish().unwrap().as_slice())
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn fields_are_checked_against_the_format() {
    let csv = export_fields(ExportFormat::Csv, vec![]).unwrap();
    assert_eq!(csv[0].name, "user_id");
    assert!(
        csv.iter()
            .all(|f| !["user_metadata", "identities"].contains(&f.name.as_str()))
    );
    assert!(
        export_fields(ExportFormat::Json, vec![])
            .unwrap()
            .is_empty(),
        "whole users"
    );

    // Auth0 refuses a whole object as a CSV column; authbox writes its JSON.
    let whole = vec![field("app_metadata", None)];
    assert_eq!(
        export_fields(ExportFormat::Csv, whole.clone()).unwrap(),
        whole
    );

    for (fields, named) in [
        (vec![field("", None)], "`name` is 1 to 100"),
        (vec![field("email", Some(""))], "export_as"),
        (vec![field(&"x".repeat(101), None)], "1 to 100"),
        (vec![field("a..b", None)], "a..b"),
        (vec![field("identities[", None)], "identities["),
        (vec![field("identities[0]x", None)], "identities[0]x"),
        (vec![field("identities[-1]", None)], "identities[-1]"),
        (vec![field("email", None), field("email", None)], "twice"),
        (
            (0..31)
                .map(|i| field(&format!("user_metadata.k{i}"), None))
                .collect(),
            "at most 30",
        ),
    ] {
        let refused = export_fields(ExportFormat::Json, fields).unwrap_err();
        assert!(refused.contains(named), "{named}: {refused}");
    }
    let twice = vec![field("email", None), field("email", None)];
    assert_eq!(
        export_fields(ExportFormat::Csv, twice.clone()).unwrap(),
        twice
    );
    assert!(
        export_fields(
            ExportFormat::Csv,
            vec![field("identities[0].connection", None)]
        )
        .is_ok()
    );
}

#[test]
fn csv_escapes_every_string_and_leaves_dates_and_numbers() {
    let fields = [
        field("email", None),
        field("name", Some("full name")),
        field("logins_count", None),
        field("blocked", None),
        field("created_at", None),
        field("user_metadata.prefs", None),
        field("identities", None),
        field("user_metadata.missing", None),
        field("identities[0].connection", Some("provider")),
    ];
    let user = json!({
        "email": "ada@example.com", "name": "=HYPERLINK(\"x\"), \"Ada\"",
        "logins_count": 3, "blocked": false, "created_at": "2026-12-04T10:00:00.000Z",
        "user_metadata": {"prefs": {"lang": "fr"}},
        "identities": [{"connection": "legacy"}]
    });
    let text = written(ExportFormat::Csv, &fields, &[user]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        r#""email","full name","logins_count","blocked","created_at","user_metadata.prefs","identities","user_metadata.missing","provider""#
    );
    assert_eq!(
        lines[1],
        r#""'ada@example.com","'=HYPERLINK(""x""), ""Ada""",3,false,2026-12-04T10:00:00.000Z,"'{""lang"":""fr""}","'[{""connection"":""legacy""}]",,"'legacy""#
    );
    assert_eq!(lines.len(), 2);
}

#[test]
fn json_is_a_line_per_user_with_the_fields_asked_for() {
    let users = [
        json!({"user_id": "auth0|1", "email": "a@x.example", "app_metadata": {"plan": "gold"}}),
        json!({"user_id": "auth0|2", "app_metadata": {}}),
    ];
    let fields = [field("email", Some("mail")), field("app_metadata", None)];
    let text = written(ExportFormat::Json, &fields, &users);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"mail": "a@x.example", "app_metadata": {"plan": "gold"}}),
            json!({"app_metadata": {}})
        ]
    );
    let whole = written(ExportFormat::Json, &[], &users);
    let first: Value = serde_json::from_str(whole.lines().next().unwrap()).unwrap();
    assert_eq!(first, users[0]);
    assert_eq!(
        written(ExportFormat::Json, &[], &[]),
        "",
        "no users, an empty file"
    );
}
