//! JavaScript through the `authbox` binary: `run` and `check` on a directory
//! of Auth0's script files and on one `.js` file, a syntax error named by
//! file, line and column, and the PostgreSQL template against the server
//! (when `AUTHBOX_TEST_POSTGRES_URL` is set).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use authbox_tests::legacy::{Backend, LegacyDb};
use serde_json::{Value, json};

fn authbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authbox"))
        .args(args)
        .env(
            "AUTHBOX_CACHE_DIR",
            std::env::temp_dir().join("authbox-cli-tests-cache"),
        )
        .output()
        .expect("the authbox binary runs")
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Whether this build has no JavaScript engine (then the test says so).
fn unavailable(test: &str) -> bool {
    let probe = tempfile::tempdir().unwrap();
    let file = probe.path().join("get_user.js");
    std::fs::write(&file, "function f(email, cb) { cb(null); }").unwrap();
    let out = authbox(&["check", file.to_str().unwrap(), "--json"]);
    let answer = report(&out);
    if answer["valid"] == json!(true) {
        return false;
    }
    let reason = answer["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        reason.contains("without its JavaScript engine")
            && std::env::var_os("AUTHBOX_TEST_REQUIRE_JAVASCRIPT").is_none(),
        "{reason}"
    );
    eprintln!("SKIPPED {test}: {reason}");
    true
}

fn write(dir: &Path, file: &str, source: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, source).unwrap();
    path
}

#[test]
fn run_and_check_take_a_directory_or_one_javascript_file() {
    if unavailable("run_and_check_take_a_directory_or_one_javascript_file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "login.js",
        "function login(email, password, callback) {\n  if (password !== configuration.PASSWORD) return callback(new WrongUsernameOrPasswordError(email));\n  console.log('welcome %s', email);\n  callback(null, { user_id: 42, email: email });\n}",
    );
    write(
        dir.path(),
        "get_user.js",
        "function getByEmail(email, callback) { callback(null); }",
    );
    let scripts = dir.path().to_str().unwrap();

    let checked = authbox(&["check", scripts, "--json"]);
    assert_eq!(checked.status.code(), Some(0));
    let checked = report(&checked);
    assert_eq!(checked["language"], json!("javascript"));
    assert_eq!(checked["actions"], json!(["login", "get-user"]));

    let ok = authbox(&[
        "run",
        scripts,
        "login",
        "ada@example.com",
        "s3cret",
        "--config",
        "PASSWORD=s3cret",
        "--json",
    ]);
    assert_eq!(ok.status.code(), Some(0));
    let ok = report(&ok);
    assert_eq!(ok["profile"]["user_id"], json!("auth0|42"));
    assert_eq!(ok["logs"][0]["message"], json!("welcome ada@example.com"));
    let wrong = authbox(&[
        "run",
        scripts,
        "login",
        "ada@example.com",
        "nope",
        "--config",
        "PASSWORD=s3cret",
        "--json",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(report(&wrong)["outcome"], json!("wrong_credentials"));

    // One file, named otherwise: the script of the action run.
    let lone = write(
        dir.path(),
        "lookup.js",
        "async function (email, callback) { callback(null, { id: 'u1', email }); }",
    );
    let found = authbox(&[
        "run",
        lone.to_str().unwrap(),
        "get-user",
        "ada@example.com",
        "--json",
    ]);
    assert_eq!(
        found.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    assert_eq!(report(&found)["profile"]["user_id"], json!("auth0|u1"));
    // `check` cannot tell what such a file is for.
    let unnamed = authbox(&["check", lone.to_str().unwrap()]);
    assert_eq!(unnamed.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("name the file after its action"));

    // A directory without get_user.js is not a connection's scripts.
    let partial = tempfile::tempdir().unwrap();
    write(
        partial.path(),
        "login.js",
        "function login(e, p, cb) { cb(); }",
    );
    let refused = authbox(&["check", partial.path().to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("get_user.js"));

    // A syntax error: file, line and column, exit 64.
    write(
        partial.path(),
        "get_user.js",
        "function getByEmail(email, callback) {\n  callback(null, {;\n}",
    );
    let broken = authbox(&["check", partial.path().to_str().unwrap()]);
    assert_eq!(broken.status.code(), Some(64));
    let message = String::from_utf8_lossy(&broken.stderr).into_owned();
    assert!(message.contains("get_user.js:2:"), "{message}");
}

#[tokio::test]
async fn the_postgres_javascript_template_runs_through_the_cli() {
    let test = "the_postgres_javascript_template_runs_through_the_cli";
    if unavailable(test) {
        return;
    }
    let Some(db) = LegacyDb::empty(Backend::Postgres, test).await else {
        return;
    };
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/javascript/postgres");
    db.run_sql(&std::fs::read_to_string(template.join("schema.sql")).unwrap())
        .await;
    let datasource = format!("users={}", db.url);
    let run = |args: &[&str]| {
        let mut all = vec!["run", template.to_str().unwrap()];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--datasource", &datasource, "--json"]);
        let out = authbox(&all);
        (out.status.code(), report(&out))
    };
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
    let (status, ok) = run(&["login", "cli@example.com", "from the cli"]);
    assert_eq!(status, Some(0), "{ok}");
    assert_eq!(ok["profile"]["nickname"], json!("cli"));
    let (status, wrong) = run(&["login", "cli@example.com", "nope"]);
    assert_eq!(
        (status, &wrong["outcome"]),
        (Some(1), &json!("wrong_credentials"))
    );
    db.drop().await;
}
