//! The `rest-api` template through the `authbox` binary, against the
//! reference users service on loopback: `run --allow-host` with and without
//! `--allow-private-networks` (all seven actions), and `authbox serve` with
//! a connection whose `allowed_hosts` the Management API sets (logins, a
//! signup, a delete: the actions HTTP reaches). The service's token is never
//! printed or logged.

use std::process::Command;

use authbox_tests::REST_API;
use authbox_tests::users_service::{ServiceOptions, UsersService};
use serde_json::{Value, json};

use super::serve::{BIN, management, password_grant, spawn, tenant_with_connection};

const TOKEN: &str = "t0ken-s3cret-4-rest";

fn service() -> (UsersService, String) {
    let service = UsersService::start(ServiceOptions {
        token: Some(TOKEN.into()),
        seed: true,
        ..ServiceOptions::default()
    });
    let origin = format!("http://127.0.0.1:{}", service.addr().port());
    (service, origin)
}

/// `authbox run rest-api.wasm ARGS... --json`: exit status and report.
fn run(origin: &str, private: bool, args: &[&str]) -> (Option<i32>, Value) {
    let cache = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command
        .env("AUTHBOX_CACHE_DIR", cache.path())
        .arg("run")
        .arg(REST_API)
        .args(args)
        .args(["--config", &format!("api_url={origin}")])
        .args(["--config", &format!("api_token={TOKEN}")])
        .args(["--allow-host", origin, "--json"]);
    if private {
        command.args(["--allow-private-networks", "127.0.0.1"]);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token was printed: {stdout}{stderr}"
    );
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (output.status.code(), report)
}

#[test]
fn the_template_runs_through_the_cli() {
    let (_service, origin) = service();
    let (status, ok) = run(
        &origin,
        true,
        &["login", "ada@example.com", "correct horse battery staple"],
    );
    assert_eq!(status, Some(0), "{ok}");
    assert_eq!(ok["profile"]["email"], json!("ada@example.com"));
    let (status, wrong) = run(&origin, true, &["login", "ada@example.com", "nope"]);
    assert_eq!(
        (status, &wrong["outcome"]),
        (Some(1), &json!("wrong_credentials"))
    );
    let (status, created) = run(
        &origin,
        true,
        &[
            "create",
            "--email",
            "cli@example.com",
            "--password",
            "from the cli",
        ],
    );
    assert_eq!(
        (status, &created["outcome"]),
        (Some(0), &json!("ok")),
        "{created}"
    );
    let (status, found) = run(&origin, true, &["get-user", "cli@example.com"]);
    assert_eq!(
        (status, &found["outcome"]),
        (Some(0), &json!("ok")),
        "{found}"
    );
    let (status, verified) = run(&origin, true, &["verify", "cli@example.com"]);
    assert_eq!(
        (status, &verified["result"]),
        (Some(0), &json!(true)),
        "{verified}"
    );
    let (status, changed) = run(
        &origin,
        true,
        &["change-password", "cli@example.com", "changed in the cli"],
    );
    assert_eq!(
        (status, &changed["result"]),
        (Some(0), &json!(true)),
        "{changed}"
    );
    let (status, moved) = run(
        &origin,
        true,
        &["change-email", "cli@example.com", "moved@example.com"],
    );
    assert_eq!(
        (status, &moved["result"]),
        (Some(0), &json!(true)),
        "{moved}"
    );
    let id = found["profile"]["identities"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, deleted) = run(&origin, true, &["delete", &id]);
    assert_eq!(
        (status, &deleted["outcome"]),
        (Some(0), &json!("ok")),
        "{deleted}"
    );

    // Without the operator's consent, loopback is refused, and the log says so.
    let (status, refused) = run(
        &origin,
        false,
        &["login", "ada@example.com", "correct horse battery staple"],
    );
    assert_eq!(
        (status, &refused["outcome"]),
        (Some(2), &json!("error")),
        "{refused}"
    );
    let logs = refused["logs"].to_string();
    assert!(logs.contains("loopback"), "{logs}");
}

#[tokio::test]
async fn serve_logs_in_through_a_rest_connection() {
    let (service, origin) = service();
    let data = tempfile::tempdir().unwrap();
    let store = vec!["--data-dir".to_string(), data.path().display().to_string()];
    let server = spawn(&["--allow-private-networks", "127.0.0.1"], &store);
    let body = json!({"name": "rest", "options": {
        "allowed_hosts": [origin],
        "configuration": {"api_url": origin, "api_token": TOKEN},
    }});
    let tenant = tenant_with_connection(&server, &store, body, REST_API).await;

    let (status, shown) = management(
        &server,
        &tenant,
        reqwest::Method::GET,
        "/api/v2/connections",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        shown[0]["options"]["allowed_hosts"],
        json!([origin]),
        "{shown}"
    );
    let body = json!({"name": "bad", "options": {"allowed_hosts": ["https://x/path"]}});
    let (status, bad) = management(
        &server,
        &tenant,
        reqwest::Method::POST,
        "/api/v2/connections",
        Some(body),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        bad["message"].as_str().unwrap().contains("https://x/path"),
        "{bad}"
    );

    let ok = password_grant(&server, &tenant, "correct horse battery staple").await;
    assert_eq!(ok.status(), 200);
    let wrong = password_grant(&server, &tenant, "wrong").await;
    assert_eq!(wrong.status(), 403);

    // A signup: get-user (not found), create, login; again: the user exists.
    let users = "/api/v2/users";
    let signup =
        json!({"connection": "rest", "email": "new@example.com", "password": "a fine password 1"});
    let post = reqwest::Method::POST;
    let (status, created) =
        management(&server, &tenant, post.clone(), users, Some(signup.clone())).await;
    assert_eq!(status, 201, "{created}");
    let (status, again) = management(&server, &tenant, post, users, Some(signup)).await;
    assert_eq!(
        (status, &again["errorCode"]),
        (409, &json!("user_exists")),
        "{again}"
    );
    // A delete goes through the script: the user is gone from the service.
    let id = created["user_id"].as_str().unwrap().replace('|', "%7C");
    let path = format!("{users}/{id}");
    let (status, _) = management(&server, &tenant, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let gone = reqwest::Client::new()
        .get(format!("{origin}/users?email=new%40example.com"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert!(service.request_count() >= 6);

    let log = server.log();
    assert!(!log.contains(TOKEN), "the token is in the log");
    assert!(!log.contains("correct horse battery staple"));
    assert_eq!(server.stop(), Some(0));
}
