//! `authbox serve` as a process, set up with the `tenant`, `keys` and
//! `clients` commands: a login and a PATCH over HTTP, graceful shutdown on
//! SIGTERM, and two processes sharing one PostgreSQL store (with
//! `AUTHBOX_TEST_POSTGRES_URL`), where a brute-force block made through one
//! is enforced and lifted through the other, and a key revoked and a client
//! secret rotated through the CLI are refused by both within a second.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command;

use authbox_tests::legacy::{Backend, LegacyDb};
use authbox_tests::serve_process::{ServeProcess, authbox_json};
use serde_json::{Value, json};

pub(super) const BIN: &str = env!("CARGO_BIN_EXE_authbox");

/// Runs an `authbox` command with `--json`; answers its output.
pub(super) fn authbox(args: &[&str], store: &[String]) -> Value {
    authbox_json(Path::new(BIN), args, store)
}

/// `authbox serve` with these arguments on `store`, logging at debug level
/// (so that what must never be logged is looked for in everything that
/// could be).
pub(super) fn spawn(args: &[&str], store: &[String]) -> ServeProcess {
    ServeProcess::spawn(Path::new(BIN), args, store, "debug")
}

/// `authbox serve` on `store`, its tenants' SQLite files in `sqlite_dir`.
fn start(store: &[String], sqlite_dir: &Path) -> ServeProcess {
    let sqlite_dir = sqlite_dir.display().to_string();
    spawn(&["--sqlite-dir", &sqlite_dir], store)
}

/// A tenant `acme` with a key, a client, and a connection made from
/// `body` running the script `wasm`, set up through the CLI and `server`.
pub(super) struct Tenant {
    pub(super) key: String,
    pub(super) client_id: String,
    pub(super) client_secret: String,
}

pub(super) async fn tenant_with_connection(
    server: &ServeProcess,
    store: &[String],
    body: Value,
    wasm: &str,
) -> Tenant {
    authbox(&["tenant", "create", "acme"], store);
    let key = authbox(&["keys", "create", "--tenant", "acme"], store)["key"]
        .as_str()
        .unwrap()
        .to_string();
    let client = authbox(&["clients", "create", "--tenant", "acme"], store);
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/api/v2/connections", server.base))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    let upload = http
        .put(format!("{}/api/v2/connections/{id}/script", server.base))
        .bearer_auth(&key)
        .header("content-type", "application/wasm")
        .body(std::fs::read(wasm).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    Tenant {
        key,
        client_id: client["client_id"].as_str().unwrap().to_string(),
        client_secret: client["client_secret"].as_str().unwrap().to_string(),
    }
}

/// The tenant with a `legacy` connection running the `sqlite` template on
/// `legacy`.
async fn set_up(server: &ServeProcess, store: &[String], legacy: &LegacyDb) -> Tenant {
    let body = json!({"name": "legacy", "options": {"datasources": {"users": legacy.url}}});
    tenant_with_connection(server, store, body, authbox_tests::SQLITE).await
}

pub(super) async fn login(server: &ServeProcess, tenant: &Tenant) -> Value {
    let response = password_grant(server, tenant, "correct horse battery staple").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Ada's password grant with `password`.
pub(super) async fn password_grant(
    server: &ServeProcess,
    tenant: &Tenant,
    password: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/oauth/token", server.base))
        .form(&[
            ("grant_type", "password"),
            ("username", "ada@example.com"),
            ("password", password),
            ("client_id", &tenant.client_id),
            ("client_secret", &tenant.client_secret),
        ])
        .send()
        .await
        .unwrap()
}

/// The status of Ada's password grant with `password`.
async fn grant_status(server: &ServeProcess, tenant: &Tenant, password: &str) -> u16 {
    password_grant(server, tenant, password)
        .await
        .status()
        .as_u16()
}

/// A Management API request with the tenant's key: its status and body.
pub(super) async fn management(
    server: &ServeProcess,
    tenant: &Tenant,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(&tenant.key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

const ADA: &str = "/api/v2/users/auth0%7Csqlite%7C1";

async fn user(
    server: &ServeProcess,
    tenant: &Tenant,
    method: reqwest::Method,
    body: Option<Value>,
) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{ADA}", server.base))
        .bearer_auth(&tenant.key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The legacy SQLite database and the directory the server allows it in.
async fn legacy() -> (LegacyDb, std::path::PathBuf) {
    let legacy = LegacyDb::seeded(Backend::Sqlite, "serve_cli")
        .await
        .unwrap();
    let path = legacy.url.strip_prefix("sqlite:").unwrap();
    let dir = Path::new(path).parent().unwrap().canonicalize().unwrap();
    (legacy, dir)
}

/// The credentials `serve --demo` printed.
pub(super) fn demo_credentials(server: &mut ServeProcess) -> Tenant {
    let mut reader = BufReader::new(server.child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("client secret:") {
        assert!(reader.read_line(&mut printed).unwrap() > 0, "{printed}");
    }
    let field = |label: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} in {printed}"))
            .trim()
            .to_string()
    };
    Tenant {
        key: field("Management API key:"),
        client_id: field("client id:"),
        client_secret: field("client secret:"),
    }
}

#[tokio::test]
async fn the_demo_prints_credentials_that_work_and_keeps_them() {
    let data = tempfile::tempdir().unwrap();
    let store = vec!["--data-dir".to_string(), data.path().display().to_string()];
    let start = || spawn(&["--demo", "--demo-script", authbox_tests::SQLITE], &store);
    let mut server = start();
    let tenant = demo_credentials(&mut server);
    login(&server, &tenant).await;
    let ada = user(&server, &tenant, reqwest::Method::GET, None).await;
    assert_eq!(ada["logins_count"], json!(1));
    assert_eq!(server.stop(), Some(0));

    // Started again, it keeps the tenant, its users and its credentials.
    let mut again = start();
    assert_eq!(demo_credentials(&mut again).key, tenant.key);
    let ada = user(&again, &tenant, reqwest::Method::GET, None).await;
    assert_eq!(ada["logins_count"], json!(1));
}

#[tokio::test]
async fn serve_on_sqlite_logs_in_patches_and_stops_on_sigterm() {
    let (legacy, sqlite_dir) = legacy().await;
    let data = tempfile::tempdir().unwrap();
    let store = vec!["--data-dir".to_string(), data.path().display().to_string()];
    let server = start(&store, &sqlite_dir);
    let tenant = set_up(&server, &store, &legacy).await;

    let tokens = login(&server, &tenant).await;
    assert!(tokens["id_token"].as_str().unwrap().split('.').count() == 3);
    let wrong = reqwest::Client::new()
        .post(format!("{}/oauth/token", server.base))
        .json(&json!({
            "grant_type": "password", "username": "ada@example.com", "password": "Tr0ub4dor&3-wrong",
            "client_id": tenant.client_id, "client_secret": tenant.client_secret,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let patch = json!({"user_metadata": {"lang": "fr"}});
    let patched = user(&server, &tenant, reqwest::Method::PATCH, Some(patch)).await;
    assert_eq!(patched["user_metadata"]["lang"], json!("fr"));
    assert_eq!(patched["logins_count"], json!(1));

    // Every request is logged with its id, method and path; never a
    // password, a secret or a token, even at debug level.
    let log = server.log();
    assert!(
        log.contains("method=POST path=/oauth/token"),
        "no request line in\n{log}"
    );
    assert!(log.contains("request{id="), "no request id in\n{log}");
    let access = tokens["access_token"].as_str().unwrap();
    for secret in [
        "correct horse battery staple",
        "Tr0ub4dor&3-wrong",
        &tenant.client_secret,
        &tenant.key,
        access,
    ] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
    assert_eq!(server.stop(), Some(0));
    assert!(data.path().join("authbox.db").exists());
}

#[tokio::test]
async fn two_processes_share_one_postgres_store() {
    let Some(db) = LegacyDb::empty(Backend::Postgres, "serve_two").await else {
        return;
    };
    let (legacy, sqlite_dir) = legacy().await;
    // The processes share the store, so they share its secret key.
    let key = tempfile::tempdir().unwrap();
    let key_file = key.path().join("secret.key").display().to_string();
    authbox(&["secret-key", "generate", &key_file], &[]);
    let store = ["--database-url", &db.url, "--secret-key-file", &key_file]
        .map(String::from)
        .to_vec();
    let first = start(&store, &sqlite_dir);
    let second = start(&store, &sqlite_dir);
    let tenant = set_up(&first, &store, &legacy).await;

    // Log in through the first, PATCH through the second, read through the first.
    login(&first, &tenant).await;
    let patch = json!({"app_metadata": {"plan": "enterprise"}});
    user(&second, &tenant, reqwest::Method::PATCH, Some(patch)).await;
    let read = user(&first, &tenant, reqwest::Method::GET, None).await;
    assert_eq!(read["app_metadata"]["plan"], json!("enterprise"));
    assert_eq!(read["logins_count"], json!(1));
    // Both sign with the tenant's one key: the second's token verifies
    // with the first's JWKS.
    let token = login(&second, &tenant).await;
    let header_segment = token["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    let jwks: Value = reqwest::get(format!("{}/.well-known/jwks.json", first.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    let header: Value = serde_json::from_slice(&base64_url_decode(&header_segment)).unwrap();
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);

    // Brute-force protection's counters are in the store: wrong passwords
    // through the first block Ada at the second, and an unblock through the
    // second lets her in at the first (each reads the settings within a
    // second).
    let settings = json!({"max_attempts": 3});
    let path = "/api/v2/attack-protection/brute-force-protection";
    let (status, _) = management(
        &first,
        &tenant,
        reqwest::Method::PATCH,
        path,
        Some(settings),
    )
    .await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..3 {
        assert_eq!(grant_status(&first, &tenant, "wrong").await, 403);
    }
    assert_eq!(
        grant_status(&second, &tenant, "correct horse battery staple").await,
        429
    );
    let unblock = "/api/v2/user-blocks?identifier=ada@example.com";
    let (status, _) = management(&second, &tenant, reqwest::Method::DELETE, unblock, None).await;
    assert_eq!(status, 204);
    assert_eq!(
        grant_status(&first, &tenant, "correct horse battery staple").await,
        200
    );

    // A key revoked through the CLI is refused by both processes within a
    // second (each has just used it, so each holds it as found).
    let listed = authbox(&["keys", "list", "--tenant", "acme"], &store);
    let id = listed["keys"][0]["id"].as_str().unwrap().to_string();
    let revoked = authbox(&["keys", "revoke", "--tenant", "acme", &id], &store);
    assert_eq!(revoked["revoked"], json!(id));
    let revoked_at = std::time::Instant::now();
    for server in [&first, &second] {
        let status = loop {
            let status = reqwest::Client::new()
                .get(format!("{}{ADA}", server.base))
                .bearer_auth(&tenant.key)
                .send()
                .await
                .unwrap()
                .status();
            if status == 401 || revoked_at.elapsed() > std::time::Duration::from_secs(3) {
                break status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(status, 401);
    }
    assert!(
        revoked_at.elapsed() < std::time::Duration::from_millis(1500),
        "a revoked key was still taken after {:?}",
        revoked_at.elapsed()
    );
    let listed = authbox(&["keys", "list", "--tenant", "acme"], &store);
    assert_eq!(listed["keys"], json!([]));

    // A rotated client secret: the old one refused by both within a second.
    let rotated = authbox(
        &[
            "clients",
            "rotate-secret",
            "--tenant",
            "acme",
            &tenant.client_id,
        ],
        &store,
    );
    let new_secret = rotated["client_secret"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for server in [&first, &second] {
        assert_eq!(
            grant_status(server, &tenant, "correct horse battery staple").await,
            401
        );
    }
    let renewed = Tenant {
        client_secret: new_secret.to_string(),
        ..tenant
    };
    login(&second, &renewed).await;
    assert_eq!(first.stop(), Some(0));
    assert_eq!(second.stop(), Some(0));
    db.drop().await;
}

/// Base64url without padding, as JWT segments are.
fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn a_toml_settings_file_sets_what_flags_do_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state");
    let config = dir.path().join("authbox.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\nissuer = \"https://auth.example.test\"\n",
            data.display()
        ),
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let server = spawn(&["--settings", &config_arg], &[]);
    let jwks = reqwest::get(format!("{}/.well-known/jwks.json", server.base))
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    assert!(data.join("authbox.db").exists());
    assert_eq!(server.stop(), Some(0));

    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\ndata_directory = \"x\"\n",
    )
    .unwrap();
    // `--config`, the flag's old name, still works.
    let output = Command::new(BIN)
        .args(["serve", "--config", &config_arg])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("data_directory"), "{error}");
}
