//! The SQL templates through the `authbox` binary: `--datasource NAME=URL`,
//! JSON reports and exit statuses, against PostgreSQL and MariaDB (when
//! `AUTHBOX_TEST_POSTGRES_URL` / `AUTHBOX_TEST_MYSQL_URL` are set) and SQLite.

use std::process::Command;

use authbox_tests::legacy::{Backend, LegacyDb};
use serde_json::json;

/// Every action through the CLI: `--datasource NAME=URL`, JSON reports,
/// exit statuses.
async fn cli(backend: Backend) {
    let Some(db) = LegacyDb::seeded(backend, "cli").await else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_authbox"))
            .env("AUTHBOX_CACHE_DIR", cache.path())
            .arg("run")
            .arg(backend.script())
            .args(args)
            .arg("--datasource")
            .arg(format!("users={}", db.url))
            .arg("--json")
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
        (output.status.code(), report)
    };
    let (status, ok) = run(&["login", "ada@example.com", "correct horse battery staple"]);
    assert_eq!(status, Some(0), "{ok}");
    assert_eq!(
        ok["profile"]["user_id"],
        format!("auth0|{}|1", backend.template())
    );
    let (status, wrong) = run(&["login", "ada@example.com", "nope"]);
    assert_eq!(
        (status, &wrong["outcome"]),
        (Some(1), &json!("wrong_credentials"))
    );
    let (status, created) = run(&[
        "create",
        "--email",
        "cli@example.com",
        "--password",
        "from the cli",
    ]);
    assert_eq!(
        (status, &created["outcome"]),
        (Some(0), &json!("ok")),
        "{created}"
    );
    let (status, found) = run(&["get-user", "cli@example.com"]);
    assert_eq!(
        (status, &found["profile"]["email"]),
        (Some(0), &json!("cli@example.com"))
    );
    let id = found["profile"]["identities"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, verified) = run(&["verify", "cli@example.com"]);
    assert_eq!(
        (status, &verified["result"]),
        (Some(0), &json!(true)),
        "{verified}"
    );
    let (status, unknown) = run(&["verify", "nobody@example.com"]);
    assert_eq!(
        (status, &unknown["result"]),
        (Some(1), &json!(false)),
        "{unknown}"
    );
    let (status, changed) = run(&["change-password", "cli@example.com", "changed in the cli"]);
    assert_eq!(
        (status, &changed["result"]),
        (Some(0), &json!(true)),
        "{changed}"
    );
    let (status, _) = run(&["login", "cli@example.com", "changed in the cli"]);
    assert_eq!(status, Some(0));
    let (status, moved) = run(&[
        "change-email",
        "cli@example.com",
        "moved@example.com",
        "--verified",
    ]);
    assert_eq!(
        (status, &moved["result"]),
        (Some(0), &json!(true)),
        "{moved}"
    );
    let (status, moved) = run(&["get-user", "moved@example.com"]);
    assert_eq!(
        (status, &moved["profile"]["email_verified"]),
        (Some(0), &json!(true))
    );
    let (status, deleted) = run(&["delete", &id]);
    assert_eq!(
        (status, &deleted["outcome"]),
        (Some(0), &json!("ok")),
        "{deleted}"
    );
    let (status, gone) = run(&["get-user", "moved@example.com"]);
    assert_eq!((status, &gone["outcome"]), (Some(1), &json!("not_found")));
    db.drop().await;
}

#[tokio::test]
async fn postgres_template_through_the_cli() {
    cli(Backend::Postgres).await;
}

#[tokio::test]
async fn mysql_template_through_the_cli() {
    cli(Backend::MySql).await;
}

#[tokio::test]
async fn sqlite_template_through_the_cli() {
    cli(Backend::Sqlite).await;
}

#[test]
fn the_cli_refuses_a_bad_datasource_without_repeating_its_password() {
    let output = Command::new(env!("CARGO_BIN_EXE_authbox"))
        .args(["run", authbox_tests::SQLITE, "get-user", "a@example.com"])
        .args([
            "--datasource",
            "users=redis://app:hunter2-secret@localhost/0",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--datasource users="), "{stderr}");
    assert!(stderr.contains("use postgres://"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
